namespace FpQuant.Benchmark;

public sealed record ProfileBreakdown(Dictionary<string, double> ByOpType, Dictionary<string, double> ByModule, string? RefineFile, string? ScoreFile);
