using FpQuant.Core;
using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>How a sequence is tracked: the first frame registered (or started at its true pose), the rest tracked,
/// and what a lost track does.</summary>
public sealed record SequenceTrackingSettings
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
        new FirstFrameSettings { Hypotheses = Registration.Hypotheses, Iterations = Registration.Iterations, RefineBatch = Registration.RefineBatch }.Validate();
        Registration.Crops.Validate();
        if (ReregisterWhenLost && Track.LostScoreThreshold == null)
            throw new FpQuantException("re-registering a lost track needs the lost-track check: give --lost-score too");
    }
}

/// <summary>One frame of a tracked sequence: the pose (original mesh frame, metres), the seconds of its step (the
/// registration for a registered frame, else render + crop + networks + update), the error against the truth when
/// known, and the lost-track check's verdict.</summary>
public sealed record TrackedFrame(int Index, int FrameId, Pose Pose, double Seconds, PoseError? Error, bool Registered, bool Lost, float? Score,
    TrackFrameResult? Step);

/// <summary>Registers the first frame of a sequence, tracks the rest, and reports every frame as it is done.</summary>
public static class SequenceTracking
{
    /// <param name="registrar">The first frame's networks; needed unless the run starts from the true pose.</param>
    /// <param name="onFrame">Called after each frame (progress, streaming output).</param>
    public static List<TrackedFrame> Run(TrackSequence seq, PoseTracker tracker, FirstFrameRunner? registrar, SequenceTrackingSettings s,
        Action<TrackedFrame>? onFrame = null, CancellationToken cancel = default)
    {
        s.Validate();
        var points = PoseError.ModelPoints(seq.First.Mesh, seq.First.MeshCenter);
        PoseError? ErrorAt(int i, Pose p) => seq.Truth[i] is Pose t ? PoseError.Between(t, p, points) : null;
        var frames = new List<TrackedFrame>(seq.Count);
        void Add(TrackedFrame f) { frames.Add(f); onFrame?.Invoke(f); }

        TrackedFrame Register(int i)
        {
            var r = tracker.Register(seq.SceneAt(i), registrar ?? throw new FpQuantException("registering a frame needs the first frame's networks (RefineNet and ScoreNet)"),
                s.Registration, cancel);
            return new TrackedFrame(i, seq.FrameIds[i], r.Best, r.Times.Total, ErrorAt(i, r.Best), true, false, null, null);
        }

        cancel.ThrowIfCancellationRequested();
        if (s.StartFromTruth)
        {
            var t = seq.Truth[0] ?? throw new FpQuantException($"{seq.Description}: the first frame's true pose is unknown, so tracking cannot start from it; register it instead");
            tracker.Reset(t);
            Add(new TrackedFrame(0, seq.FrameIds[0], t, 0, ErrorAt(0, t), false, false, null, null));
        }
        else Add(Register(0));
        bool reregister = false;
        for (int i = 1; i < seq.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            if (reregister)
            {
                Add(Register(i));
                reregister = false;
                continue;
            }
            var frame = seq.Frame(i);
            var r = tracker.Track(frame);
            Add(new TrackedFrame(i, seq.FrameIds[i], r.Pose, r.StepSeconds, ErrorAt(i, r.Pose), false, r.Lost, r.Score, r));
            reregister = r.Lost && s.ReregisterWhenLost;
        }
        return frames;
    }
}
