namespace FpQuant.Benchmark;

internal sealed class BenchReport
{
    public required string Machine { get; init; }
    public required string OnnxRuntime { get; init; }
    public required string Command { get; init; }
    public required DateTime StartedUtc { get; init; }
    public required int Hypotheses { get; init; }
    public required int Iterations { get; init; }
    public required int RefineBatch { get; init; }
    public required int Repeats { get; init; }
    public required int Warmup { get; init; }
    public required string Weights { get; init; }
    public required string Crops { get; set; }
    public required string Provider { get; init; }
    public required int Threads { get; init; }
    public string Reference { get; set; } = "fp32";
    public List<VariantResult> Variants { get; init; } = new();
    public double TotalSeconds { get; set; }
    /// <summary>The process's peak working set over the whole run.</summary>
    public long PeakWorkingSetBytes { get; set; }
    public long MaxMemoryBytes { get; set; }
    /// <summary>The working set over the run (every <see cref="BenchRunner.MemoryTimelineMs"/> ms).</summary>
    public List<MemorySample> MemoryTimeline { get; init; } = new();
    /// <summary>Each variant's turns on the timeline: which one was alive when.</summary>
    public List<MemoryPhase> MemoryPhases { get; init; } = new();
}

internal sealed record MemorySample(double Seconds, long Bytes);

/// <param name="What">cold, warm-up or repeat.</param>
internal sealed record MemoryPhase(string Variant, string What, double StartSeconds, double EndSeconds, long PeakBytes);
