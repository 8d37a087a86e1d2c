using FpQuant.Geometry;
using FpQuant.Networks;

namespace FpQuant.Pipeline;

/// <summary>RefineNet on one pair (FoundationPose's tracking batch), over buffers bound once.</summary>
internal sealed class NetworkTrackRefiner : ITrackRefiner, IDisposable
{
    private readonly SinglePairRun _run;

    public NetworkTrackRefiner(CropPairSession refine) =>
        _run = new SinglePairRun(refine, NetworkKind.Refine, "RefineNet", "tracking runs RefineNet");

    public string Description => _run.Description;

    public (Vec3 Trans, Vec3 Rot) Refine(ReadOnlySpan<float> rendered, ReadOnlySpan<float> observed, Pose centredPose)
    {
        _run.Run(rendered, observed);
        var t = _run.Output(0);
        var r = _run.Output(1);
        return (new Vec3(t[0], t[1], t[2]), new Vec3(r[0], r[1], r[2]));
    }

    public void Dispose() => _run.Dispose();
}
