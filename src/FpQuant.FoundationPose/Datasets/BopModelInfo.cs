using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Datasets;

/// <summary>One object's entry of models_info.json: diameter and box in millimetres (the model's units) and its
/// symmetries. Discrete symmetries are rigid transforms of the model (translation in mm) that leave its look
/// unchanged; a continuous one is a rotation axis through an offset point, any angle.</summary>
internal sealed record BopModelInfo(int ObjId, double DiameterMm, Vec3 MinMm, Vec3 SizeMm,
    IReadOnlyList<Pose> DiscreteSymmetries, IReadOnlyList<BopContinuousSymmetry> ContinuousSymmetries)
{
    public bool IsSymmetric => DiscreteSymmetries.Count > 0 || ContinuousSymmetries.Count > 0;
}
