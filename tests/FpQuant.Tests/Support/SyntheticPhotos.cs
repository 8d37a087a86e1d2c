using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Tests.Support;

/// <summary>
/// Deterministic photo-like test images (no downloaded photos): a sky gradient, hills with a textured ground, a sun,
/// and a few lit boxes with soft shading and value noise, different for every seed. Written as PNG or JPEG.
/// </summary>
public static class SyntheticPhotos
{
    public static byte[] Render(ulong seed, int width, int height)
    {
        ulong key = Hashing.Fnv1a64("synthetic-photo") ^ (seed * 0x9E3779B97F4A7C15UL);
        double U(ulong i) => (Hashing.Uniform(key, i) + 1) / 2; // 0..1
        var rgb = new byte[width * height * 3];
        double horizon = 0.35 + 0.3 * U(1), hillAmp = 0.05 + 0.1 * U(2), hillFreq = 2 + 6 * U(3), phase = 6.28 * U(4);
        double sunX = U(5), sunY = 0.1 + 0.2 * U(6), sunR = 0.04 + 0.06 * U(7);
        var sky = (0.3 + 0.4 * U(8), 0.5 + 0.3 * U(9), 0.8 + 0.2 * U(10));
        var ground = (0.2 + 0.4 * U(11), 0.3 + 0.4 * U(12), 0.1 + 0.2 * U(13));
        int boxes = 1 + (int)(4 * U(14));
        var box = Enumerable.Range(0, boxes)
            .Select(b => (X: U(20 + 6UL * (ulong)b), Y: horizon - 0.1 + 0.5 * U(21 + 6UL * (ulong)b),
            W: 0.08 + 0.25 * U(22 + 6UL * (ulong)b), H: 0.08 + 0.3 * U(23 + 6UL * (ulong)b),
            C: (U(24 + 6UL * (ulong)b), U(25 + 6UL * (ulong)b), 0.5 * U(20 + 6UL * (ulong)b) + 0.3))).ToList();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double u = (x + 0.5) / width, v = (y + 0.5) / height;
                double hill = horizon + hillAmp * Math.Sin(hillFreq * u * 6.28 + phase);
                (double r, double g, double b) c;
                if (v < hill)
                {
                    double t = v / hill;
                    c = (sky.Item1 * (1 - 0.5 * t) + 0.4 * t, sky.Item2 * (1 - 0.3 * t) + 0.3 * t, sky.Item3);
                    double d = Math.Sqrt((u - sunX) * (u - sunX) + (v - sunY) * (v - sunY));
                    if (d < sunR) c = (1, 0.95, 0.7);
                    else if (d < 2.5 * sunR) { double glow = 1 - (d - sunR) / (1.5 * sunR); c =
                        (c.r + 0.3 * glow, c.g + 0.25 * glow, c.b + 0.1 * glow); }
                }
                else
                {
                    double depth = (v - hill) / (1 - hill + 1e-9);
                    double texture = 0.15 * Math.Sin(40 * u + 13 * Math.Sin(9 * v)) * Math.Sin(30 * v * (1 + depth));
                    c = (ground.Item1 * (0.6 + 0.6 * depth) + texture, ground.Item2 * (0.6 + 0.6 * depth) + texture,
                        ground.Item3 + 0.5 * texture);
                }
                foreach (var bx in box)
                    if (u > bx.X && u < bx.X + bx.W && v > bx.Y && v < bx.Y + bx.H)
                    {
                        double shade = 0.6 + 0.4 * (u - bx.X) / bx.W;
                        c = (bx.C.Item1 * shade, bx.C.Item2 * shade, bx.C.Item3 * shade);
                    }
                double noise = 0.04 * Hashing.Uniform(key, 1000 + (ulong)(y * width + x));
                int i = 3 * (y * width + x);
                rgb[i] = ToByte(c.r + noise); rgb[i + 1] = ToByte(c.g + noise); rgb[i + 2] = ToByte(c.b + noise);
            }
        return rgb;
    }

    /// <summary>
    /// Writes <paramref name="count"/> images (alternately PNG and JPEG, sizes varying around 256x192) to a folder.
    /// </summary>
    public static void WriteFolder(string dir, int count, ulong firstSeed = 0)
    {
        Directory.CreateDirectory(dir);
        for (int k = 0; k < count; k++)
        {
            ulong seed = firstSeed + (ulong)k;
            int w = 240 + (int)(seed % 5) * 16, h = 180 + (int)(seed % 3) * 24;
            ImageFile.Save(Path.Combine(dir, $"photo{seed:D3}.{(k % 2 == 0 ? "png" : "jpg")}"), Render(seed, w, h), w,
                h);
        }
    }

    private static byte ToByte(double v) => (byte)Math.Clamp((int)Math.Round(v * 255), 0, 255);
}
