namespace FpQuant.Benchmark;

/// <summary>A `bench --track` run: the machine, the settings and one row per variant and thread count.</summary>
internal sealed class TrackBenchReport
{
    public required string Machine { get; init; }
    public required string Cpu { get; init; }
    public required string OnnxRuntime { get; init; }
    public required string Command { get; init; }
    public required string Sequence { get; init; }
    public required string Weights { get; init; }
    public required string Provider { get; init; }
    public required int Iterations { get; init; }
    public required int Rounds { get; init; }
    public required int WarmupFrames { get; init; }
    public List<TrackBenchRow> Rows { get; init; } = new();
    public double TotalSeconds { get; set; }
}
