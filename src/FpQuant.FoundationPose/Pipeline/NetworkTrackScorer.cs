using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Networks;

namespace FpQuant.Pipeline;

/// <summary>ScoreNet on the one tracked pair (a group of one) for the lost-track check.</summary>
internal sealed class NetworkTrackScorer : ITrackScorer, IDisposable
{
    private readonly SinglePairRun _run;

    public NetworkTrackScorer(CropPairSession score)
    {
        if (score.Signature.Kind != NetworkKind.Score)
            throw new FpQuantException($"'{score.Runner.ModelPath}' is not a score model (it has {score.Signature.Outputs.Length} outputs); the lost-track check runs ScoreNet");
        _run = new SinglePairRun(score);
    }

    public string Description => $"ScoreNet '{Path.GetFileName(_run.Model.Runner.ModelPath)}'";

    public float Score(ReadOnlySpan<float> rendered, ReadOnlySpan<float> observed, Pose centredPose)
    {
        _run.Run(rendered, observed);
        return _run.Output(0)[0];
    }

    public void Dispose() => _run.Dispose();
}
