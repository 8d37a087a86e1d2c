using FpQuant.Core;
using FpQuant.Pipeline;

namespace FpQuant.Evaluation;

/// <summary>
/// `eval --mode track`: the eval settings plus tracking's (iterations, lost check, frames per sequence).
/// </summary>
internal sealed record TrackEvalSettings
{
    public required EvalSettings Eval { get; init; }
    public TrackSettings Track { get; init; } = new();
    /// <summary>Frames per sequence (default: all).</summary>
    public int? MaxFrames { get; init; }
    public bool StartFromTruth { get; init; }
    public bool ReregisterWhenLost { get; init; }

    public SequenceTrackingSettings Sequence => new()
    {
        Registration = Eval.Registration, Track = Track, StartFromTruth = StartFromTruth,
        ReregisterWhenLost = ReregisterWhenLost,
    };

    public void Validate()
    {
        Eval.Validate();
        Sequence.Validate();
        if (Eval.Resume)
            throw new FpQuantException("Resume is for first-frame eval; a tracking eval tracks each sequence whole, " +
                "so start it afresh");
        if (MaxFrames is < 1) throw new FpQuantException($"MaxFrames must be at least 1, got {MaxFrames}");
    }
}
