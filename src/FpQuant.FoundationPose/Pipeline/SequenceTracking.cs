using FpQuant.Core;
using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>Registers the first frame of a sequence, tracks the rest, and reports every frame as it is done.</summary>
internal static class SequenceTracking
{
    /// <param name="registrar">The first frame's networks; needed unless the run starts from the true pose.</param>
    /// <param name="onFrame">Called after each frame (progress, streaming output).</param>
    public static List<TrackedFrame> Run(TrackSequence seq, PoseTracker tracker, FirstFrameRunner? registrar,
        SequenceTrackingSettings s, Action<TrackedFrame>? onFrame = null, CancellationToken cancel = default)
    {
        s.Validate();
        var points = PoseError.ModelPoints(seq.First.Mesh, seq.First.MeshCenter);
        PoseError? ErrorAt(int i, Pose p) => seq.Truth[i] is Pose t ? PoseError.Between(t, p, points) : null;
        var frames = new List<TrackedFrame>(seq.Count);
        void Add(TrackedFrame f) { frames.Add(f); onFrame?.Invoke(f); }

        TrackedFrame Register(int i)
        {
            var r = tracker.Register(seq.SceneAt(i),
                registrar
                    ?? throw new FpQuantException(
                        "registering a frame needs the first frame's networks (RefineNet and ScoreNet)"),
                s.Registration, cancel);
            return new TrackedFrame(i, seq.FrameIds[i], r.Best, r.Times.Total, ErrorAt(i, r.Best), true, false, null,
                null);
        }

        cancel.ThrowIfCancellationRequested();
        if (s.StartFromTruth)
        {
            var t = seq.Truth[0]
                ?? throw new FpQuantException($"{seq.Description}: the first frame's true pose is unknown, so " +
                    $"tracking cannot start from it; register it instead");
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
            Add(new TrackedFrame(i, seq.FrameIds[i], r.Pose, r.StepSeconds, ErrorAt(i, r.Pose), false, r.Lost, r.Score,
                r));
            reregister = r.Lost && s.ReregisterWhenLost;
        }
        return frames;
    }
}
