using FpQuant.Core;
using SkiaSharp;

namespace FpQuant.Images;

/// <summary>
/// Photos for image models: PNG or JPEG decoded by SkiaSharp, scaled and cropped to a model's input size, as 8-bit RGB
/// (row-major, 3 bytes a pixel). Colour and depth frames of the pipeline use the own PNG codec instead (Png.cs).
/// </summary>
internal static class ImageFile
{
    public static readonly IReadOnlyList<string> Extensions = new[] { ".png", ".jpg", ".jpeg" };

    /// <summary>
    /// Decodes <paramref name="path"/> and brings it to <paramref name="width"/> x <paramref name="height"/>: with
    /// <paramref name="crop"/>, scaled so that it covers the target (aspect kept) and centre-cropped, as ML.NET's
    /// IsoCrop resizing and torchvision's Resize+CenterCrop do; without, stretched. Bilinear sampling.
    /// </summary>
    public static byte[] LoadRgb(string path, int width, int height, bool crop)
    {
        if (width <= 0 || height <= 0) throw new FpQuantException($"image size {width}x{height} must be positive");
        using var decoded = SKBitmap.Decode(path)
            ?? throw new FpQuantException($"'{path}' is not a PNG or JPEG image SkiaSharp can decode");
        using var rgba = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(rgba))
        {
            canvas.Clear(SKColors.Black);
            SKRect dest;
            if (crop)
            {
                double s = Math.Max((double)width / decoded.Width, (double)height / decoded.Height);
                float w = (float)(decoded.Width * s), h = (float)(decoded.Height * s);
                dest = SKRect.Create((width - w) / 2, (height - h) / 2, w, h);
            }
            else dest = SKRect.Create(0, 0, width, height);
            using var image = SKImage.FromBitmap(decoded);
            canvas.DrawImage(image, dest, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        }
        var px = rgba.GetPixelSpan();
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; i < width * height; i++, j += 4)
        {
            rgb[3 * i] = px[j]; rgb[3 * i + 1] = px[j + 1]; rgb[3 * i + 2] = px[j + 2];
        }
        return rgb;
    }

    /// <summary>
    /// RGBA8888 pixels of a PNG or JPEG file, for images that must be read exactly as stored (dataset frames, masks,
    /// model textures). The size is checked against <paramref name="maxPixels"/> before the pixels are allocated, and
    /// a file that decodes only partly (truncated, corrupt) is refused rather than filled in.
    /// </summary>
    /// <param name="what">What the file is, for errors ("mask", "texture").</param>
    public static (byte[] Pixels, int Width, int Height) DecodeRgba(string path, string what, long maxPixels)
    {
        if (!File.Exists(path)) throw new FpQuantException($"{what} '{path}' does not exist");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException
            or UnauthorizedAccessException) { throw new FpQuantException($"cannot read {what} '{path}': {e.Message}",
                e); }
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new FpQuantException(
                $"{what} '{path}' is not a readable PNG or JPEG image (unknown or corrupt header)");
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w <= 0 || h <= 0 || (long)w * h > maxPixels)
            throw new FpQuantException($"{what} '{path}' claims {w}x{h} pixels; at most {maxPixels} pixels are read");
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var px = new byte[4L * w * h];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* p = px) result = codec.GetPixels(info, (IntPtr)p);
        }
        if (result != SKCodecResult.Success)
            throw new FpQuantException($"{what} '{path}' is corrupt or truncated ({result})");
        return (px, w, h);
    }

    /// <summary>
    /// Writes 8-bit RGB pixels as PNG, or JPEG at <paramref name="jpegQuality"/> when the name ends in .jpg/.jpeg.
    /// </summary>
    public static void Save(string path, byte[] rgb, int width, int height, int jpegQuality = 90)
    {
        if (rgb.Length != width * height * 3)
            throw new ArgumentException($"{width}x{height} RGB needs {width * height * 3} bytes, got {rgb.Length}");
        bool jpeg = path.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase);
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var rgba = new byte[width * height * 4];
        for (int i = 0; i < width * height; i++)
        {
            rgba[4 * i] = rgb[3 * i]; rgba[4 * i + 1] = rgb[3 * i + 1]; rgba[4 * i + 2] =
                rgb[3 * i + 2]; rgba[4 * i + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bmp.GetPixels(), rgba.Length);
        using var data =
            bmp.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, jpeg ? jpegQuality : 100);
        AtomicFile.WriteAllBytes(path, data.ToArray());
    }
}
