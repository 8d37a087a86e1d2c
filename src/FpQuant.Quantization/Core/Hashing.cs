namespace FpQuant.Core;

/// <summary>FNV-1a 64 and SplitMix64: the deterministic integer streams behind the synthetic weights, each key's
/// stream seeded by the FNV-1a hash of its name XOR the seed (spec section 8).</summary>
internal static class Hashing
{
    public const ulong FnvOffset = 0xcbf29ce484222325UL;
    public const ulong FnvPrime = 0x100000001b3UL;

    public static ulong Fnv1a64(string text)
    {
        ulong h = FnvOffset;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= FnvPrime;
        }
        return h;
    }

    /// <summary>The i-th (1-based) SplitMix64 output for state s.</summary>
    public static ulong SplitMix64(ulong s, ulong i)
    {
        ulong z = unchecked(s + i * 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>u_i in [-1, 1): the top 24 bits of SplitMix64, exact in float32.</summary>
    public static float Uniform(ulong s, ulong i)
    {
        ulong k = SplitMix64(s, i) >> 40;
        return (float)((2.0 * k - 16777216.0) / 16777216.0);
    }

    /// <summary>
    /// Fills <paramref name="dst"/> with u_1..u_n of the stream for <paramref name="key"/> and <paramref name="seed"/>.
    /// </summary>
    public static void FillUniform(string key, ulong seed, Span<float> dst)
    {
        ulong s = Fnv1a64(key) ^ seed;
        for (int i = 0; i < dst.Length; i++) dst[i] = Uniform(s, (ulong)i + 1);
    }
}
