using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Rendering;

/// <summary>An RGB texture with values 0..1, row 0 at the top (as stored in image files).</summary>
internal sealed class RgbTexture
{
    public int Width { get; }
    public int Height { get; }
    public float[] Rgb { get; }

    public RgbTexture(int width, int height, float[] rgb)
    {
        if (rgb.Length != 3L * width * height) throw new ArgumentException("texture size");
        Width = width; Height = height; Rgb = rgb;
    }

    /// <summary>
    /// Bilinear lookup at OBJ texture coordinates (v = 0 is the image's bottom row), wrapping around.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void Sample(float u, float v, out float r, out float g, out float b)
    {
        float x = (u - MathF.Floor(u)) * Width - 0.5f;
        float y = (1f - (v - MathF.Floor(v))) * Height - 0.5f;
        int x0 = (int)MathF.Floor(x), y0 = (int)MathF.Floor(y);
        float fx = x - x0, fy = y - y0;
        // x0 and y0 lie in -1 .. size-1 here, so wrapping needs no division.
        int xa = x0 < 0 ? Width - 1 : x0, xb = x0 + 1 >= Width ? 0 : x0 + 1, ya = y0 < 0 ? Height - 1 : y0,
            yb = y0 + 1 >= Height ? 0 : y0 + 1;
        int i00 = 3 * (ya * Width + xa), i01 = 3 * (ya * Width + xb), i10 = 3 * (yb * Width + xa),
            i11 = 3 * (yb * Width + xb);
        float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
        r = w00 * Rgb[i00] + w01 * Rgb[i01] + w10 * Rgb[i10] + w11 * Rgb[i11];
        g = w00 * Rgb[i00 + 1] + w01 * Rgb[i01 + 1] + w10 * Rgb[i10 + 1] + w11 * Rgb[i11 + 1];
        b = w00 * Rgb[i00 + 2] + w01 * Rgb[i01 + 2] + w10 * Rgb[i10 + 2] + w11 * Rgb[i11 + 2];
    }

    /// <summary>The texture as an 8-bit RGB image, for writing beside a model.</summary>
    public PngImage ToPngImage() =>
        new(Width, Height, 3, 8, Rgb.Select(x => (ushort)Math.Clamp(MathF.Round(x * 255f), 0, 255)).ToArray());
}
