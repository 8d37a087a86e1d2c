namespace FpQuant.Evaluation;

/// <summary>Per variant over every frame of every sequence: ADD-S and ADD AUC, ADD(-S) &lt; 0.1 d, the drift (mean
/// ADD-S by frame index and its least-squares slope), frames flagged lost, and the time per tracked frame.</summary>
internal sealed class TrackEvalVariant
{
    public required string Name { get; init; }
    public string? Error { get; set; }
    public int Sequences { get; set; }
    public int Frames { get; set; }
    public double AucAdds { get; set; }
    public double AucAdd { get; set; }
    public double AddOrAdds01d { get; set; }
    /// <summary>Mean ADD-S (mm) of the frames at each index (0 = the first frame), over the sequences.</summary>
    public List<double> DriftAddsMm { get; set; } = new();
    /// <summary>Least-squares slope of ADD-S over the frame index (mm per frame).</summary>
    public double DriftSlopeMmPerFrame { get; set; }
    public int LostFrames { get; set; }
    public int Reregistrations { get; set; }
    public double MedianMsPerFrame { get; set; }
    public double MedianFirstFrameSeconds { get; set; }
}
