using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Training;

/// <summary>
/// The random numbers of one sample: a SplitMix64 stream keyed by the stream's key and the sample's index, so a
/// sample's draws depend on the seed and its index only (not on threads or on the samples before it).
/// </summary>
internal struct SampleRandom
{
    private readonly ulong _key;
    private ulong _drawn;

    /// <param name="streamKey">From <see cref="StreamKey"/>: one per kind of draw, so streams never overlap.</param>
    public SampleRandom(ulong streamKey, long index)
    {
        _key = Hashing.SplitMix64(streamKey, (ulong)index + 1);
        _drawn = 0;
    }

    public static ulong StreamKey(ulong seed, string stream) => Hashing.SplitMix64(Hashing.Fnv1a64(stream), seed + 1);

    public ulong NextUInt64() => Hashing.SplitMix64(_key, ++_drawn);

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double Next() => (Hashing.SplitMix64(_key, ++_drawn) >> 11) * (1.0 / (1UL << 53));

    public double Range(double min, double max) => min + (max - min) * Next();

    /// <summary>Uniform on the unit sphere.</summary>
    public Vec3 UnitVector()
    {
        double z = 2 * Next() - 1, phi = 2 * Math.PI * Next(), r = Math.Sqrt(Math.Max(0, 1 - z * z));
        return new Vec3(r * Math.Cos(phi), r * Math.Sin(phi), z);
    }

    /// <summary>Uniform over all rotations (a uniform unit quaternion, after Shoemake).</summary>
    public Mat3 Rotation()
    {
        double u1 = Next(), u2 = 2 * Math.PI * Next(), u3 = 2 * Math.PI * Next();
        double a = Math.Sqrt(1 - u1), b = Math.Sqrt(u1);
        double w = a * Math.Sin(u2), x = a * Math.Cos(u2), y = b * Math.Sin(u3), z = b * Math.Cos(u3);
        return new Mat3(
            1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
            2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
            2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y));
    }
}
