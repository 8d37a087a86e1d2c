using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>One tracked frame: the pose (original mesh frame), the seconds of each stage, and the lost-track check's
/// score when it ran. A struct, so tracking a frame allocates no result object.</summary>
internal readonly record struct TrackFrameResult(Pose Pose, Pose CentredPose, double RenderSeconds, double CropSeconds,
    double RefineSeconds, double UpdateSeconds, double ScoreSeconds, float? Score, bool Lost)
{
    /// <summary>The tracking step: render + crop + networks + update.</summary>
    public double StepSeconds => RenderSeconds + CropSeconds + RefineSeconds + UpdateSeconds + ScoreSeconds;
    /// <summary>Everything but the networks.</summary>
    public double NonNetworkSeconds => RenderSeconds + CropSeconds + UpdateSeconds;
}
