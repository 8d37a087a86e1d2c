using FpQuant.Core;

namespace FpQuant.Pipeline;

/// <summary>FoundationPose's tracking settings (`track_one`): refine iterations per frame, the crop windows, and the
/// optional lost-track check.</summary>
internal sealed record TrackSettings
{
    /// <summary>FoundationPose's demo tracks with 2 refine iterations a frame (`track_refine_iter`).</summary>
    public const int DefaultIterations = 2;

    public int Iterations { get; init; } = DefaultIterations;
    public CropSettings Crops { get; init; } = new();
    /// <summary>When set, ScoreNet scores the tracked pose every frame and a logit below this flags the frame as lost
    /// (reported in the frame's result and counted; the tracker keeps the pose until told to re-register).</summary>
    public double? LostScoreThreshold { get; init; }

    public void Validate()
    {
        if (Iterations is < 1 or > 100)
            throw new FpQuantException($"TrackSettings.Iterations must be between 1 and 100, got {Iterations}");
        Crops.Validate();
        if (LostScoreThreshold is double t && !double.IsFinite(t))
            throw new FpQuantException($"LostScoreThreshold must be a finite number, got {t}");
    }
}
