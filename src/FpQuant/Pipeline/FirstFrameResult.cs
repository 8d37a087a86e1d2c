using FpQuant.Geometry;

namespace FpQuant.Pipeline;

public sealed record FirstFrameResult(
    IReadOnlyList<Pose> Poses,
    float[] Scores,
    int Best,
    StageTimes Times,
    float[] RefineOutputs);
