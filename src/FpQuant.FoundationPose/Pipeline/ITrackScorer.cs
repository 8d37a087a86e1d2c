using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>The optional lost-track check: ScoreNet's logit for the pair at the tracked pose (scorer's window and
/// depth threshold). <see cref="NetworkTrackScorer"/> runs ScoreNet on one pair.</summary>
internal interface ITrackScorer
{
    string Description { get; }
    float Score(ReadOnlySpan<float> rendered, ReadOnlySpan<float> observed, Pose centredPose);
}
