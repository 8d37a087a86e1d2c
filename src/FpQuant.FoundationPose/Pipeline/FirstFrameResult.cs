using FpQuant.Geometry;

namespace FpQuant.Pipeline;

internal sealed record FirstFrameResult(
    IReadOnlyList<Pose> Poses,
    float[] Scores,
    int Best,
    StageTimes Times,
    float[] RefineOutputs)
{
    /// <summary>The refine batch and score chunk this frame ran with.</summary>
    public BatchPlan? Plan { get; init; }
}
