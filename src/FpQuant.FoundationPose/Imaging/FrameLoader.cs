using FpQuant.Core;
using FpQuant.Geometry;

using FpQuant.Images;

namespace FpQuant.Imaging;

/// <summary>
/// Reads a frame from files, checking that the images agree in size and the mask and depth are usable.
/// </summary>
internal static class FrameLoader
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
            throw new FpQuantException($"mask '{maskPath}' is {maskImg.Width}x{maskImg.Height} but the RGB image " +
                $"'{rgbPath}' is {w}x{h}; the images must be the same size");
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
                throw new FpQuantException($"depth '{path}' is {img.Width}x{img.Height} but the RGB image is " +
                    $"{width}x{height}; the images must be the same size");
            if (img.BitDepth != 16 || img.Channels != 1)
                throw new FpQuantException($"depth '{path}' is a {img.BitDepth}-bit PNG with {img.Channels} " +
                    $"channel(s); depth PNGs must be 16-bit single-channel millimetres (or pass raw float32 metres)");
            var d = new float[n];
            for (long i = 0; i < n; i++) d[i] = img.Samples[i] / 1000f;
            return d;
        }
        if (!File.Exists(path)) throw new FpQuantException($"depth file '{path}' does not exist");
        long bytes = new FileInfo(path).Length;
        if (bytes != 4 * n)
            throw new FpQuantException($"depth '{path}' has {bytes} bytes; raw float32 depth for the " +
                $"{width}x{height} RGB image needs {4 * n} bytes (or pass a 16-bit PNG in millimetres)");
        var raw = RawTensorFile.Read(path, n, "depth");
        for (long i = 0; i < n; i++)
            // NaN/negative = no measurement, as sensors write them
            if (!float.IsFinite(raw[i]) || raw[i] < 0) raw[i] = 0;
        return raw;
    }

    /// <summary>
    /// Writes the frame the way <see cref="Load"/> reads it (rgb.png, depth.png in mm, mask.png, cam_K.txt).
    /// </summary>
    public static void Save(RgbdFrame f, string folder)
    {
        Directory.CreateDirectory(folder);
        long n = (long)f.Width * f.Height;
        Png.Write(Path.Combine(folder, "rgb.png"),
            new PngImage(f.Width, f.Height, 3, 8, f.Rgb.Select(b => (ushort)b).ToArray()));
        var mm = new ushort[n];
        for (long i = 0; i < n; i++) mm[i] = (ushort)Math.Clamp(Math.Round(f.Depth[i] * 1000.0), 0, 65535);
        Png.Write(Path.Combine(folder, "depth.png"), new PngImage(f.Width, f.Height, 1, 16, mm));
        Png.Write(Path.Combine(folder, "mask.png"),
            new PngImage(f.Width, f.Height, 1, 8, f.Mask.Select(m => m ? (ushort)255 : (ushort)0).ToArray()));
        AtomicFile.WriteAllText(Path.Combine(folder, "cam_K.txt"), f.K.ToMatrixText());
    }
}
