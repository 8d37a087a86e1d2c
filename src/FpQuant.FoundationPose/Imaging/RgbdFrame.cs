using FpQuant.Geometry;

using FpQuant.Images;

namespace FpQuant.Imaging;

/// <summary>One camera frame: 8-bit RGB, depth in metres (0 = no measurement), the object's mask, intrinsics.</summary>
public sealed class RgbdFrame
{
    public int Width { get; }
    public int Height { get; }
    /// <summary>RGB, row-major, 3 bytes per pixel.</summary>
    public byte[] Rgb { get; }
    public float[] Depth { get; }
    public bool[] Mask { get; }
    public CameraIntrinsics K { get; }
    public string Source { get; init; } = "in-memory frame";

    public RgbdFrame(int width, int height, byte[] rgb, float[] depth, bool[] mask, CameraIntrinsics k)
    {
        long n = (long)width * height;
        if (rgb.Length != 3 * n || depth.Length != n || mask.Length != n)
            throw new ArgumentException($"frame buffers do not match {width}x{height}");
        Width = width; Height = height; Rgb = rgb; Depth = depth; Mask = mask; K = k;
    }
}
