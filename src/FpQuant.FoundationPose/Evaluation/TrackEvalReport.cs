namespace FpQuant.Evaluation;

/// <summary>An `eval --mode track` run: the dataset, the settings, the sequences and one summary per variant.</summary>
internal sealed class TrackEvalReport
{
    public required string Dataset { get; init; }
    public required string Split { get; init; }
    public required string Command { get; init; }
    public required string Weights { get; init; }
    public required int TrackIterations { get; init; }
    public required string Start { get; init; }
    public List<string> Sequences { get; init; } = new();
    public List<TrackEvalVariant> Variants { get; init; } = new();
    public double TotalSeconds { get; set; }
}
