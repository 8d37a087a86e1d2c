using FpQuant.Geometry;

using FpQuant.Images;

namespace FpQuant.Imaging;

/// <summary>One camera frame: 8-bit RGB, depth in metres (0 = no measurement), the object's mask, intrinsics.</summary>
public sealed class RgbdFrame
{
    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    /// <summary>RGB, row-major, 3 bytes per pixel.</summary>
    public byte[] Rgb { get; }
    /// <summary>Depth in metres, row-major, one value per pixel; 0 where the sensor measured nothing.</summary>
    public float[] Depth { get; }
    /// <summary>The object's pixels, row-major, one value per pixel.</summary>
    public bool[] Mask { get; }
    /// <summary>The camera intrinsics.</summary>
    public CameraIntrinsics K { get; }
    /// <summary>Where the frame came from (its RGB file, or a description), for messages.</summary>
    public string Source { get; init; } = "in-memory frame";

    /// <summary>A frame from buffers in memory (kept, not copied).</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="rgb">RGB, row-major, 3 bytes per pixel (3 x width x height values).</param>
    /// <param name="depth">Depth in metres, width x height values, 0 where unmeasured.</param>
    /// <param name="mask">The object's pixels, width x height values.</param>
    /// <param name="k">The camera intrinsics.</param>
    /// <exception cref="ArgumentException">A buffer's length does not match width x height.</exception>
    public RgbdFrame(int width, int height, byte[] rgb, float[] depth, bool[] mask, CameraIntrinsics k)
    {
        long n = (long)width * height;
        if (rgb.Length != 3 * n || depth.Length != n || mask.Length != n)
            throw new ArgumentException($"frame buffers do not match {width}x{height}");
        Width = width; Height = height; Rgb = rgb; Depth = depth; Mask = mask; K = k;
    }

    /// <summary>Reads a frame from files, checking that the images agree in size.</summary>
    /// <param name="rgbPath">The colour image (PNG).</param>
    /// <param name="depthPath">Depth: a 16-bit PNG in millimetres, or raw little-endian float32 in metres (any other
    /// extension) with the colour image's width x height values.</param>
    /// <param name="maskPath">The object's mask (PNG, non-zero = object).</param>
    /// <param name="k">The camera intrinsics (<see cref="CameraIntrinsics.Parse"/> reads FoundationPose's
    /// cam_K.txt).</param>
    /// <exception cref="Core.FpQuantException">A file is missing or unreadable, or the images differ in size.
    /// </exception>
    public static RgbdFrame Load(string rgbPath, string depthPath, string maskPath, CameraIntrinsics k) =>
        FrameLoader.Load(rgbPath, depthPath, maskPath, k);
}
