using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Datasets;

/// <summary>
/// A continuous rotational symmetry: any rotation about <see cref="Axis"/> through <see cref="OffsetMm"/>.
/// </summary>
internal sealed record BopContinuousSymmetry(Vec3 Axis, Vec3 OffsetMm);
