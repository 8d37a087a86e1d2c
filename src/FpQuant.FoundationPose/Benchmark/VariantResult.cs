using FpQuant.Core;
using FpQuant.Pipeline;

namespace FpQuant.Benchmark;

internal sealed class VariantResult
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
    /// <summary>
    /// Median seconds per first-frame stage (setup, render, crop, refine, pose update, score, select).
    /// </summary>
    public Dictionary<string, double> StageMedians { get; set; } = new();
    public double ScoreShare { get; set; }
    public double RefineMsPerPair { get; set; }
    public double ScoreMsPerPair { get; set; }
    /// <summary>The process's peak working set during this variant's turns (its sessions alive, no other's).</summary>
    public long PeakWorkingSetBytes { get; set; }
    /// <summary>
    /// The most a turn of this variant added over the working set just before its sessions were created.
    /// </summary>
    public long AddedWorkingSetBytes { get; set; }
    /// <summary>
    /// Pairs per RefineNet call and per call of ScoreNet's per-pair part, as the memory budget chose them.
    /// </summary>
    public int RefineBatchUsed { get; set; }
    public int ScoreChunk { get; set; }
    /// <summary>
    /// Seconds to recreate both networks' sessions at each warm-up and repeat turn (one variant alive at a time).
    /// </summary>
    public List<double> RecreateSeconds { get; set; } = new();
    public double? SpeedupNetwork { get; set; }
    public double? SpeedupFrame { get; set; }
    public double? SizeRatio { get; set; }
    public VariantFidelity? Fidelity { get; set; }
    /// <summary>The last frame's poses against the scene's true pose, when the scene has one.</summary>
    public TruthAccuracy? Truth { get; set; }
    public ProfileBreakdown? Profile { get; set; }
    public List<StageTimes> WarmRuns { get; } = new();
    /// <summary>
    /// Failures of optional measurements (cached start-up, profiling) that leave the variant's timings valid.
    /// </summary>
    public List<string> Warnings { get; } = new();
}
