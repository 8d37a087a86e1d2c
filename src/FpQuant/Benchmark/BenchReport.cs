using FpQuant.Pipeline;

namespace FpQuant.Benchmark;

public sealed record BenchSettings
{
    public FirstFrameSettings Frame { get; init; } = new();
    public List<VariantSpec> Variants { get; init; } = new();
    /// <summary>Untimed rounds after the cold frame; the cold frame itself already pays each session's one-time costs.</summary>
    public int Warmup { get; init; }
    public int Repeats { get; init; } = 3;
    public string Weights { get; init; } = Networks.WeightSource.DefaultSpec;
    public Runtime.RuntimeSettings Runtime { get; init; } = new();
    public bool Profile { get; init; }
    public int CalibrationPairs { get; init; } = 8;
    public ulong CropSeed { get; init; }
    /// <summary>Where crops come from: "demo" (the built-in RGB-D scene, rendered and cropped for real), a scene
    /// folder, or "synthetic" (the structured generator, no rendering).</summary>
    public string Scene { get; init; } = "demo";
    public string CacheDir { get; init; } = Path.Combine("bench-results", "model-cache");
    /// <summary>Also measure start-up from ONNX Runtime's saved optimized graph (loaded with optimizations off).</summary>
    public bool StartupCache { get; init; } = true;
}

/// <summary>Fidelity of a variant against fp32 on the same inputs.</summary>
public sealed record Fidelity(
    double ScoreSpearman,
    bool Top1Agrees,
    double ScoreSqnrDb,
    double RefineSqnrDb,
    double RotationDevMeanDeg,
    double RotationDevMaxDeg,
    double TranslationDevMeanPct,
    double TranslationDevMaxPct);

public sealed record ProfileBreakdown(Dictionary<string, double> ByOpType, Dictionary<string, double> ByModule, string? RefineFile, string? ScoreFile);

public sealed class VariantResult
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public string? Error { get; set; }
    public bool Failed => Error != null;
    public string? RefineModel { get; set; }
    public string? ScoreModel { get; set; }
    public long RefineBytes { get; set; }
    public long ScoreBytes { get; set; }
    public double QuantizeSeconds { get; set; }
    public double RefineCreateSeconds { get; set; }
    public double ScoreCreateSeconds { get; set; }
    public double? RefineCreateCachedSeconds { get; set; }
    public double? ScoreCreateCachedSeconds { get; set; }
    public double ColdFrameSeconds { get; set; }
    public double ColdFirstFrameSeconds => RefineCreateSeconds + ScoreCreateSeconds + ColdFrameSeconds;
    public Summary? WarmFrame { get; set; }
    public Summary? WarmNetwork { get; set; }
    public Summary? Refine { get; set; }
    public Summary? Score { get; set; }
    public Summary? Crops { get; set; }
    /// <summary>Median seconds per first-frame stage (setup, render, crop, refine, pose update, score, select).</summary>
    public Dictionary<string, double> StageMedians { get; set; } = new();
    public double ScoreShare { get; set; }
    public double RefineMsPerPair { get; set; }
    public double ScoreMsPerPair { get; set; }
    public long PeakWorkingSetBytes { get; set; }
    public long AddedWorkingSetBytes { get; set; }
    public double? SpeedupNetwork { get; set; }
    public double? SpeedupFrame { get; set; }
    public double? SizeRatio { get; set; }
    public Fidelity? Fidelity { get; set; }
    public ProfileBreakdown? Profile { get; set; }
    public List<StageTimes> WarmRuns { get; } = new();
    /// <summary>Failures of optional measurements (cached start-up, profiling) that leave the variant's timings valid.</summary>
    public List<string> Warnings { get; } = new();
}

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
