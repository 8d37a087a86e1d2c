namespace FpQuant.Benchmark;

internal sealed record BenchProgress(string Stage, int Done, int Total);
