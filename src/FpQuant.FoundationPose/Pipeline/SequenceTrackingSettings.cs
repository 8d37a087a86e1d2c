using FpQuant.Core;

namespace FpQuant.Pipeline;

/// <summary>How a sequence is tracked: the first frame registered (or started at its true pose), the rest tracked,
/// and what a lost track does.</summary>
internal sealed record SequenceTrackingSettings
{
    public RegistrationSettings Registration { get; init; } = new();
    public TrackSettings Track { get; init; } = new();
    /// <summary>Start from the first frame's true pose instead of registering it (measures tracking alone).</summary>
    public bool StartFromTruth { get; init; }
    /// <summary>Register the frame after one the lost-track check flagged, instead of tracking on.</summary>
    public bool ReregisterWhenLost { get; init; }

    public void Validate()
    {
        Track.Validate();
        new FirstFrameSettings { Hypotheses = Registration.Hypotheses, Iterations = Registration.Iterations,
            RefineBatch = Registration.RefineBatch }.Validate();
        Registration.Crops.Validate();
        if (ReregisterWhenLost && Track.LostScoreThreshold == null)
            throw new FpQuantException("re-registering a lost track needs the lost-track check: give " +
                "LostScoreThreshold too");
    }
}
