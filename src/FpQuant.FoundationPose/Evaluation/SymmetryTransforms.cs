using FpQuant.Geometry;
using FpQuant.Datasets;
using FpQuant.Pipeline;

namespace FpQuant.Evaluation;

/// <summary>
/// An object's symmetries as a finite list of rigid transforms (translation in mm), the way the BOP toolkit
/// measures MSSD and MSPD: the identity and every discrete symmetry, each combined with a continuous symmetry's
/// rotations sampled at ceil(pi / step) equal angles (step 0.01: no point moves more than 1 % of the diameter
/// between samples), a rotation by angle a about axis k through offset o being x -> R x + (o - R o).
/// </summary>
internal static class SymmetryTransforms
{
    public const double DefaultMaxStep = 0.01;

    public static IReadOnlyList<Pose> Expand(BopModelInfo info, double maxStep = DefaultMaxStep)
    {
        var discrete = new List<Pose> { new(Mat3.Identity, default) };
        discrete.AddRange(info.DiscreteSymmetries);
        if (info.ContinuousSymmetries.Count == 0) return discrete;
        int steps = (int)Math.Ceiling(Math.PI / maxStep);
        var continuous = new List<Pose>();
        foreach (var c in info.ContinuousSymmetries)
            for (int i = 0; i < steps; i++)
            {
                var r = Mat3.ExpSo3(c.Axis.Normalized * (i * 2 * Math.PI / steps));
                continuous.Add(new Pose(r, c.OffsetMm - r * c.OffsetMm));
            }
        // Continuous after discrete: x -> Rc (Rd x + td) + tc.
        return discrete.SelectMany(d => continuous.Select(c => c * d)).ToList();
    }
}
