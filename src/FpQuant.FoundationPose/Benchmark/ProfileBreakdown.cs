namespace FpQuant.Benchmark;

internal sealed record ProfileBreakdown(Dictionary<string, double> ByOpType, Dictionary<string, double> ByModule,
    string? RefineFile, string? ScoreFile);
