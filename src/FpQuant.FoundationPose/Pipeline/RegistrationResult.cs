using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>The outcome of registering a scene: every hypothesis after refinement, the scores, and the chosen pose
/// expressed for the original (uncentred) mesh.</summary>
internal sealed record RegistrationResult(Scene Scene, FirstFrameResult Frame, StageTimes Times)
{
    public Pose BestCentred => Frame.Poses[Frame.Best];
    public Pose Best => Scene.ToMeshFrame(BestCentred);
}
