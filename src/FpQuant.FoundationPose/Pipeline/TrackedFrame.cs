using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>One frame of a tracked sequence: the pose (original mesh frame, metres), the seconds of its step (the
/// registration for a registered frame, else render + crop + networks + update), the error against the truth when
/// known, and the lost-track check's verdict.</summary>
internal sealed record TrackedFrame(int Index, int FrameId, Pose Pose, double Seconds, PoseError? Error,
    bool Registered, bool Lost, float? Score, TrackFrameResult? Step);
