namespace FpQuant.Evaluation;

/// <summary>
/// An eval run's results: settings, per-variant summaries with their per-instance records, and what scoring cost.
/// </summary>
internal sealed class EvalReport
{
    public required string Dataset { get; init; }
    public required string Split { get; init; }
    public string Command { get; set; } = "";
    public DateTime StartedUtc { get; set; }
    public string Weights { get; set; } = "";
    public int Hypotheses { get; set; }
    public int Iterations { get; set; }
    public string Provider { get; set; } = "";
    public int Threads { get; set; }
    public int Instances { get; set; }
    /// <summary>"K/N" when this run is one shard of a larger one.</summary>
    public string? Shard { get; set; }
    /// <summary>How many shard folders `eval merge` combined into this report (0: one run).</summary>
    public int MergedShards { get; set; }
    /// <summary>First frames run by this invocation (a resumed run skips the finished ones).</summary>
    public int FirstFramesRun { get; set; }
    public int FirstFramesResumed { get; set; }
    /// <summary>Mean seconds of one first frame (all variants, this invocation).</summary>
    public double MeanFirstFrameSeconds { get; set; }
    /// <summary>Mean seconds to compute every metric for one instance, all variants together.</summary>
    public double MeanScoringSecondsPerInstance { get; set; }
    public double ScoringShareOfFirstFrame => MeanFirstFrameSeconds > 0
        ? MeanScoringSecondsPerInstance / MeanFirstFrameSeconds : 0;
    public double TotalSeconds { get; set; }
    public List<EvalVariantSummary> Variants { get; } = new();
    public bool AnyFailed => Variants.Any(v => v.Failed);
}
