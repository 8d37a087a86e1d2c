namespace FpQuant.Benchmark;

public sealed class BenchReport
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
}
