using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Datasets;

/// <summary>
/// Decoding a BOP image set: RGB (PNG or JPEG) and masks through SkiaSharp; depth through the project's own PNG codec.
/// Depth stays with our codec because SkiaSharp 3.119 cannot return 16-bit grey losslessly: its PNG codec reports
/// such files as Gray8 (8 bits kept), refuses Alpha16, Rg1616 and Rgba16161616 destinations (InvalidConversion),
/// and its one wide destination, RgbaF16, holds 11 significant bits, so 599 of 600 test values came back changed.
/// </summary>
internal static class BopImages
{
    /// <summary>
    /// Images larger than this are refused before decoding (BOP images are at most a few megapixels).
    /// </summary>
    public const long MaxPixels = 64L << 20;

    /// <summary>8-bit RGB, row-major; the width and height.</summary>
    public static (byte[] Rgb, int Width, int Height) ReadRgb(string path)
    {
        var (px, w, h) = Decode(path, "colour image");
        var rgb = new byte[3L * w * h];
        for (long i = 0, n = (long)w * h; i < n; i++)
        {
            rgb[3 * i] = px[4 * i]; rgb[3 * i + 1] = px[4 * i + 1]; rgb[3 * i + 2] = px[4 * i + 2];
        }
        return (rgb, w, h);
    }

    /// <summary>A mask: any non-zero colour channel marks the object.</summary>
    public static bool[] ReadMask(string path, int width, int height)
    {
        var (px, w, h) = Decode(path, "mask");
        if (w != width || h != height)
            throw new FpQuantException($"mask '{path}' is {w}x{h} but the image is {width}x{height}; masks must " +
                $"match their image");
        var m = new bool[(long)w * h];
        for (long i = 0; i < m.Length; i++) m[i] = px[4 * i] != 0 || px[4 * i + 1] != 0 || px[4 * i + 2] != 0;
        return m;
    }

    /// <summary>
    /// Depth in metres from a 16-bit single-channel PNG whose values times <paramref name="depthScale"/> are mm.
    /// </summary>
    public static float[] ReadDepth(string path, double depthScale, int width, int height)
    {
        if (!File.Exists(path)) throw new FpQuantException($"depth image '{path}' does not exist");
        var img = Png.Read(path);
        if (img.Width != width || img.Height != height)
            throw new FpQuantException($"depth '{path}' is {img.Width}x{img.Height} but the colour image is " +
                $"{width}x{height}; depth must be registered to the colour image");
        if (img.Channels != 1 || img.BitDepth != 16)
            throw new FpQuantException($"depth '{path}' is a {img.BitDepth}-bit PNG with {img.Channels} channel(s); " +
                $"BOP depth is a 16-bit single-channel PNG");
        var d = new float[img.Samples.Length];
        double toMetres = depthScale / 1000.0;
        for (int i = 0; i < d.Length; i++) d[i] = (float)(img.Samples[i] * toMetres);
        return d;
    }

    /// <summary>RGBA8888 pixels of a PNG or JPEG.</summary>
    private static (byte[] Pixels, int Width, int Height) Decode(string path, string what)
    {
        try { return ImageFile.DecodeRgba(path, what, MaxPixels); }
        catch (FpQuantException e) when (e.Message.Contains("corrupt or truncated"))
        {
            throw new FpQuantException(e.Message + "; re-extract the dataset", e);
        }
    }
}
