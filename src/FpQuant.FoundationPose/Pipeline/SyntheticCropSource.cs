using System.Diagnostics;
using FpQuant.Geometry;
using FpQuant.Networks;

namespace FpQuant.Pipeline;

/// <summary>The structured synthetic generator as a crop source: crops depend on the iteration and hypothesis
/// index only, so every variant sees exactly the same inputs.</summary>
internal sealed class SyntheticCropSource : ICropSource
{
    /// <summary>Each refine iteration (and the scoring pass) draws its own crop stream, seed x this + iteration + 1:
    /// a prime, so two seeds' streams do not meet for any realistic iteration count.</summary>
    private const ulong IterationSeedStride = 7919;

    private readonly ulong _seed;
    public SyntheticCropSource(ulong seed) { _seed = seed; }
    public string Description => $"synthetic crops (seed {_seed})";

    public CropBatch Crops(IReadOnlyList<Pose> poses, int start, int count, int iteration)
    {
        // Generating a pair plays the part of rendering it; there is no frame to crop.
        var sw = Stopwatch.StartNew();
        var (r, o) = SyntheticCrops.Generate(count, _seed * IterationSeedStride + (ulong)(iteration + 1), start);
        return new CropBatch(r, o, sw.Elapsed.TotalSeconds, 0);
    }
}
