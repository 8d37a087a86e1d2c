namespace FpQuant.Benchmark;

public sealed record BenchProgress(string Stage, int Done, int Total);
