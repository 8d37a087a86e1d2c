using FpQuant.Geometry;
using FpQuant.Datasets;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Evaluation;

/// <summary>What errors of one object are measured on: its points (mm), their k-d tree (ADD-S), its symmetry
/// transforms (MSSD, MSPD) and its models_info entry. Built once per object.</summary>
internal sealed class EvalObjectModel
{
    public BopModelInfo Info { get; }
    public float[] PointsMm { get; }
    public PointTree Tree { get; }
    public IReadOnlyList<Pose> Symmetries { get; }
    /// <summary>The surface VSD renders (mm); null when only points are known.</summary>
    public TriMesh? MeshMm { get; }

    public EvalObjectModel(BopModelInfo info, TriMesh meshMm,
        double maxSymmetryStep = SymmetryTransforms.DefaultMaxStep)
        : this(info, meshMm.Positions, maxSymmetryStep)
    {
        MeshMm = meshMm;
    }

    public EvalObjectModel(BopModelInfo info, float[] pointsMm,
        double maxSymmetryStep = SymmetryTransforms.DefaultMaxStep)
    {
        Info = info;
        PointsMm = pointsMm;
        Tree = new PointTree(pointsMm);
        Symmetries = SymmetryTransforms.Expand(info, maxSymmetryStep);
    }
}
