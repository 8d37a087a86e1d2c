using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Runtime;
using FpQuant.Variants;

namespace FpQuant.Benchmark;

/// <summary>What `bench --track` measures: tracking frames per variant and thread count, in one process.</summary>
internal sealed record TrackBenchSettings
{
    public required IReadOnlyList<VariantSpec> Variants { get; init; }
    /// <summary>Intra-op thread counts; every variant runs at each.</summary>
    public IReadOnlyList<int> Threads { get; init; } = new[] { 2 };
    public int Iterations { get; init; } = TrackSettings.DefaultIterations;
    /// <summary>Untimed tracking frames per configuration before the timed rounds.</summary>
    public int WarmupFrames { get; init; } = 5;
    /// <summary>
    /// Timed rounds; each tracks the whole sequence from its first frame's true pose, configurations alternating.
    /// </summary>
    public int Rounds { get; init; } = 3;
    public string Weights { get; init; } = WeightSource.DefaultSpec;
    public RuntimeSettings Runtime { get; init; } = new();
    public string CacheDir { get; init; } = Path.Combine("bench-results", "model-cache");
    public int CalibrationPairs { get; init; } = 8;

    public void Validate()
    {
        if (Variants.Count == 0) throw new FpQuantException("no variants to benchmark");
        if (Threads.Count == 0 || Threads.Any(t => t < 1))
            throw new FpQuantException($"TrackBenchSettings.Threads must list positive thread counts, got " +
                $"{string.Join(",", Threads)}");
        if (Rounds < 1) throw new FpQuantException($"TrackBenchSettings.Rounds must be at least 1, got {Rounds}");
        if (WarmupFrames < 0) throw new FpQuantException($"WarmupFrames must be 0 or more, got {WarmupFrames}");
        new TrackSettings { Iterations = Iterations }.Validate();
    }
}
