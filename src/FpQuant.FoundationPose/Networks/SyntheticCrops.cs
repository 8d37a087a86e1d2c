using FpQuant.Core;

namespace FpQuant.Networks;

/// <summary>
/// Structured synthetic crop pairs: a shaded object (a disc with a spherical depth cap) on a noisy background,
/// rendered and observed slightly apart, as a pose hypothesis and the camera image would be. White noise
/// would make every hypothesis look alike after the 400-token mean; structure keeps scores and poses distinct.
/// </summary>
internal static class SyntheticCrops
{
    public static (FloatTensor Rendered, FloatTensor Observed) Generate(int pairs, ulong seed) =>
        Generate(pairs, seed, 0);

    /// <summary>Pairs firstIndex .. firstIndex + pairs - 1 of the stream for <paramref name="seed"/>: pair k is the
    /// same whichever batch it is generated in.</summary>
    public static (FloatTensor Rendered, FloatTensor Observed) Generate(int pairs, ulong seed, int firstIndex)
    {
        if (pairs <= 0) throw new FpQuantException($"the number of crop pairs must be positive, got {pairs}");
        int s = NetworkNames.CropSize, c = NetworkNames.Channels;
        var rendered = new FloatTensor(pairs, c, s, s);
        var observed = new FloatTensor(pairs, c, s, s);
        Parallel.For(0, pairs, p => GeneratePair(rendered, observed, p, seed, firstIndex + p));
        return (rendered, observed);
    }

    private static void GeneratePair(FloatTensor rendered, FloatTensor observed, int slot, ulong seed, int index)
    {
        ulong stream = Hashing.Fnv1a64($"synthetic-crops-{index}") ^ seed;
        ulong counter = 0;
        float U() => Hashing.Uniform(stream, ++counter); // in [-1, 1)
        // Object parameters shared by the pair; the rendered copy is offset as a wrong hypothesis would be.
        float cx = 80 + 20 * U(), cy = 80 + 20 * U(), radius = 40 + 15 * U();
        float r = 0.5f + 0.4f * U(), g = 0.5f + 0.4f * U(), b = 0.5f + 0.4f * U();
        float dx = 12 * U(), dy = 12 * U(), dr = 6 * U();
        ulong noiseKey = Hashing.Fnv1a64($"crop-noise-{index}") ^ seed;
        Draw(rendered, slot, cx + dx, cy + dy, radius + dr, r, g, b, background: false, noiseKey);
        Draw(observed, slot, cx, cy, radius, r, g, b, background: true, noiseKey);
    }

    private static void Draw(FloatTensor t, int p, float cx, float cy, float radius, float r, float g, float b,
        bool background, ulong noiseKey)
    {
        int s = NetworkNames.CropSize;
        long plane = (long)s * s, baseIdx = (long)p * NetworkNames.Channels * plane;
        var d = t.Data;
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
            {
                long i = (long)y * s + x;
                float u = (x - cx) / radius, v = (y - cy) / radius, rr = u * u + v * v;
                float n = background ? Hashing.Uniform(noiseKey, (ulong)i + 1) : 0f;
                if (rr < 1f)
                {
                    float cap = MathF.Sqrt(1f - rr);           // depth cap: nearer in the middle
                    float shade = 0.55f + 0.45f * cap;        // light along the camera axis
                    d[baseIdx + i] = Math.Clamp(r * shade + 0.02f * n, 0f, 1f);
                    d[baseIdx + plane + i] = Math.Clamp(g * shade + 0.02f * n, 0f, 1f);
                    d[baseIdx + 2 * plane + i] = Math.Clamp(b * shade + 0.02f * n, 0f, 1f);
                    d[baseIdx + 3 * plane + i] = u * 0.9f;
                    d[baseIdx + 4 * plane + i] = v * 0.9f;
                    d[baseIdx + 5 * plane + i] = -0.9f * cap + 0.01f * n;
                }
                else if (background)
                {
                    // Clutter: textured colour; background depth lies beyond the normalisation cut, so XYZ is zero.
                    float tex = 0.5f + 0.25f * MathF.Sin(x * 0.21f) * MathF.Cos(y * 0.17f);
                    d[baseIdx + i] = Math.Clamp(tex + 0.15f * n, 0f, 1f);
                    d[baseIdx + plane + i] = Math.Clamp(0.8f * tex + 0.15f * n, 0f, 1f);
                    d[baseIdx + 2 * plane + i] = Math.Clamp(0.6f * tex + 0.15f * n, 0f, 1f);
                }
            }
    }
}
