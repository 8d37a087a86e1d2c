using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>What a tracking iteration asks of the refiner: given the pair rendered and observed at the current pose
/// (NCHW, <see cref="CropPair.Floats"/> floats each), RefineNet's raw outputs (trans, rot) for
/// <see cref="PoseUpdate"/>. RefineNet itself is <see cref="NetworkTrackRefiner"/>; the pose is there for refiners that
/// know the answer (tests).</summary>
internal interface ITrackRefiner
{
    string Description { get; }
    (Vec3 Trans, Vec3 Rot) Refine(ReadOnlySpan<float> rendered, ReadOnlySpan<float> observed, Pose centredPose);
}
