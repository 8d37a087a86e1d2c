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

    /// <summary>Uniform over all rotations (<see cref="Mat3.UniformRotation"/>).</summary>
    public Mat3 Rotation() => Mat3.UniformRotation(Next(), Next(), Next());
}
