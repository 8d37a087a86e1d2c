using FpQuant.Geometry;
using FpQuant.Networks;

namespace FpQuant.Pipeline;

/// <summary>ScoreNet on the one tracked pair (a group of one) for the lost-track check.</summary>
internal sealed class NetworkTrackScorer : ITrackScorer, IDisposable
{
    private readonly SinglePairRun _run;

    public NetworkTrackScorer(CropPairSession score) =>
        _run = new SinglePairRun(score, NetworkKind.Score, "ScoreNet", "the lost-track check runs ScoreNet");

    public string Description => _run.Description;

    public float Score(ReadOnlySpan<float> rendered, ReadOnlySpan<float> observed, Pose centredPose)
    {
        _run.Run(rendered, observed);
        return _run.Output(0)[0];
    }

    public void Dispose() => _run.Dispose();
}
