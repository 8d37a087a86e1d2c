using System.Globalization;
using FpQuant.Core;

namespace FpQuant.Imaging;

/// <summary>Pinhole intrinsics in pixels; pixel (u, v) is the centre of column u, row v (OpenCV convention).</summary>
public readonly record struct CameraIntrinsics(double Fx, double Fy, double Cx, double Cy)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Fx},{Fy},{Cx},{Cy}");

    /// <summary>"fx,fy,cx,cy", or a text file holding those four numbers or a 3x3 matrix (FoundationPose's cam_K.txt).</summary>
    public static CameraIntrinsics Parse(string text)
    {
        string source = $"--K '{text}'";
        string body = text;
        if (File.Exists(text))
        {
            body = File.ReadAllText(text);
            source = $"intrinsics file '{text}'";
        }
        var parts = body.Split(new[] { ',', ' ', '\t', '\r', '\n', ';' }, StringSplitOptions.RemoveEmptyEntries);
        var v = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !double.IsFinite(v[i]))
                throw new FpQuantException($"{source}: '{parts[i]}' is not a number; give fx,fy,cx,cy or a file with a 3x3 matrix");
        CameraIntrinsics k = v.Length switch
        {
            4 => new(v[0], v[1], v[2], v[3]),
            9 => new(v[0], v[4], v[2], v[5]),
            _ => throw new FpQuantException($"{source}: expected 4 numbers (fx,fy,cx,cy) or 9 (a 3x3 matrix), found {v.Length}"),
        };
        if (k.Fx <= 0 || k.Fy <= 0) throw new FpQuantException($"{source}: focal lengths must be positive, got fx={k.Fx}, fy={k.Fy}");
        return k;
    }

    public string ToMatrixText() => string.Create(CultureInfo.InvariantCulture, $"{Fx:R} 0 {Cx:R}\n0 {Fy:R} {Cy:R}\n0 0 1\n");
}

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

/// <summary>Reads a frame from files, checking that the images agree in size and the mask and depth are usable.</summary>
public static class FrameLoader
{
    /// <param name="depthPath">16-bit PNG in millimetres, or raw little-endian float32 in metres (any other extension)
    /// with the RGB image's width x height values.</param>
    public static RgbdFrame Load(string rgbPath, string depthPath, string maskPath, CameraIntrinsics k)
    {
        var rgbImg = Png.Read(rgbPath);
        int w = rgbImg.Width, h = rgbImg.Height;
        var rgb = ToRgb8(rgbImg);
        var depth = LoadDepth(depthPath, w, h);
        var maskImg = Png.Read(maskPath);
        if (maskImg.Width != w || maskImg.Height != h)
            throw new FpQuantException($"mask '{maskPath}' is {maskImg.Width}x{maskImg.Height} but the RGB image '{rgbPath}' is {w}x{h}; the images must be the same size");
        var mask = new bool[(long)w * h];
        int colourChannels = maskImg.Channels is 2 or 4 ? maskImg.Channels - 1 : maskImg.Channels;
        for (long i = 0; i < mask.Length; i++)
            for (int c = 0; c < colourChannels; c++)
                if (maskImg.Samples[i * maskImg.Channels + c] != 0) { mask[i] = true; break; }
        return new RgbdFrame(w, h, rgb, depth, mask, k) { Source = rgbPath };
    }

    public static byte[] ToRgb8(PngImage img)
    {
        long n = (long)img.Width * img.Height;
        var rgb = new byte[3 * n];
        int shift = img.BitDepth == 16 ? 8 : 0;
        for (long i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
            {
                // Gray (and gray+alpha) repeat the gray sample; alpha is ignored.
                int src = img.Channels >= 3 ? c : 0;
                rgb[3 * i + c] = (byte)(img.Samples[i * img.Channels + src] >> shift);
            }
        return rgb;
    }

    public static float[] LoadDepth(string path, int width, int height)
    {
        long n = (long)width * height;
        if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            var img = Png.Read(path);
            if (img.Width != width || img.Height != height)
                throw new FpQuantException($"depth '{path}' is {img.Width}x{img.Height} but the RGB image is {width}x{height}; the images must be the same size");
            if (img.BitDepth != 16 || img.Channels != 1)
                throw new FpQuantException($"depth '{path}' is a {img.BitDepth}-bit PNG with {img.Channels} channel(s); depth PNGs must be 16-bit single-channel millimetres (or pass raw float32 metres)");
            var d = new float[n];
            for (long i = 0; i < n; i++) d[i] = img.Samples[i] / 1000f;
            return d;
        }
        if (!File.Exists(path)) throw new FpQuantException($"depth file '{path}' does not exist");
        long bytes = new FileInfo(path).Length;
        if (bytes != 4 * n)
            throw new FpQuantException($"depth '{path}' has {bytes} bytes; raw float32 depth for the {width}x{height} RGB image needs {4 * n} bytes (or pass a 16-bit PNG in millimetres)");
        var raw = Runtime.RawTensorFile.Read(path, n, "depth");
        for (long i = 0; i < n; i++)
            if (!float.IsFinite(raw[i]) || raw[i] < 0) raw[i] = 0; // NaN/negative = no measurement, as sensors write them
        return raw;
    }

    /// <summary>Writes the frame the way <see cref="Load"/> reads it (rgb.png, depth.png in mm, mask.png, cam_K.txt).</summary>
    public static void Save(RgbdFrame f, string folder)
    {
        Directory.CreateDirectory(folder);
        long n = (long)f.Width * f.Height;
        Png.Write(Path.Combine(folder, "rgb.png"), new PngImage(f.Width, f.Height, 3, 8, f.Rgb.Select(b => (ushort)b).ToArray()));
        var mm = new ushort[n];
        for (long i = 0; i < n; i++) mm[i] = (ushort)Math.Clamp(Math.Round(f.Depth[i] * 1000.0), 0, 65535);
        Png.Write(Path.Combine(folder, "depth.png"), new PngImage(f.Width, f.Height, 1, 16, mm));
        Png.Write(Path.Combine(folder, "mask.png"), new PngImage(f.Width, f.Height, 1, 8, f.Mask.Select(m => m ? (ushort)255 : (ushort)0).ToArray()));
        AtomicFile.WriteAllText(Path.Combine(folder, "cam_K.txt"), f.K.ToMatrixText());
    }
}
