using FpQuant.Geometry;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Pipeline;

/// <summary>
/// FoundationPose's networks judged in their own terms: for ScoreNet the ranking of each group of hypotheses
/// (Spearman, and whether the best one stays best); for RefineNet how far one refine step from the same pose sends
/// float and quantized apart (rotation in degrees; translation in % of the object's diameter and in mm). The pose
/// update scales translation by the diameter, as the pipeline does, so the % figure does not depend on it but the
/// millimetres do: they must come from the scene's own object, not a fixed size.
/// </summary>
public sealed class FoundationPoseMetric : IFidelityMetric
{
    /// <summary>
    /// The diameter used when the data has no object (synthetic crops): the demo object's order of size.
    /// </summary>
    public const double DefaultDiameter = 0.2;

    /// <summary>Which network the metric judges.</summary>
    public NetworkKind Kind { get; }
    /// <summary>The object's diameter in metres, for the translation figures in millimetres.</summary>
    public double Diameter { get; }

    /// <summary>The metric for <paramref name="kind"/> with an object of <paramref name="diameter"/> metres.</summary>
    public FoundationPoseMetric(NetworkKind kind, double diameter)
    {
        if (!(diameter > 0) || !double.IsFinite(diameter))
            throw new FpQuantException($"the object's diameter must be positive, got {diameter}");
        Kind = kind; Diameter = diameter;
    }

    /// <summary>
    /// The metric for a model recognised as one of the networks, or null for any other model. The diameter is the
    /// scene's own object when the data comes from a scene.
    /// </summary>
    internal static FoundationPoseMetric? For(ModelProto model, string source, InputSource? data)
    {
        NetworkKind kind;
        try { kind = ModelSignature.Of(model, source).Kind; }
        catch (FpQuantException) { return null; }
        return new FoundationPoseMetric(kind, data is SceneInputSource scene ? scene.Scene.Diameter : DefaultDiameter);
    }

    /// <inheritdoc/>
    public string ModelName => Kind.ClassName();

    /// <inheritdoc/>
    public IReadOnlyList<MetricKey> Keys => new[]
    {
        new MetricKey("spearman", true, "ScoreNet: the lowest Spearman correlation of a group's scores with float"),
        new MetricKey("top1", true, "ScoreNet: 1 when every group's best hypothesis stays best"),
        new MetricKey("rot", false, "RefineNet: the largest rotation difference after one refine step, degrees"),
        new MetricKey("trans", false,
            "RefineNet: the largest translation difference after one refine step, % of the object's diameter"),
        new MetricKey("trans_mm", false, "RefineNet: the same in millimetres, for this object's diameter"),
    };

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> DefaultBudget => Kind == NetworkKind.Score
        ? new Dictionary<string, double> { ["spearman"] = 0.99, ["top1"] = 1 }
        : new Dictionary<string, double> { ["rot"] = 0.5, ["trans"] = 0.5 };

    /// <inheritdoc/>
    public void Measure(IReadOnlyList<InputBatch> inputs,
        IReadOnlyList<List<(string Name, FloatTensor Value)>> reference,
        IReadOnlyList<List<(string Name, FloatTensor Value)>> test, IDictionary<string, double> into)
    {
        if (Kind == NetworkKind.Score)
        {
            // Each batch is one group of hypotheses: rank and argmax within it, worst over groups.
            double rho = 1;
            bool top1 = true;
            for (int b = 0; b < reference.Count; b++)
            {
                var x = reference[b][0].Value.Data.Select(v => (double)v).ToList();
                var y = test[b][0].Value.Data.Select(v => (double)v).ToList();
                rho = Math.Min(rho, Statistics.Spearman(x, y));
                top1 &= Statistics.ArgMax(reference[b][0].Value.Data) == Statistics.ArgMax(test[b][0].Value.Data);
            }
            into["spearman"] = rho;
            into["top1"] = top1 ? 1 : 0;
            return;
        }
        // One refine step from the same start pose: how far apart do float and quantized send it?
        double rot = 0, trans = 0, transMm = 0;
        var start = new Pose(Mat3.Identity, new Vec3(0, 0, 0.6));
        for (int b = 0; b < reference.Count; b++)
        {
            var (rt, rr) = (reference[b][0].Value, reference[b][1].Value);
            var (tt, tr) = (test[b][0].Value, test[b][1].Value);
            for (int i = 0; i < rt.Shape[0]; i++)
            {
                var p = PoseUpdate.Apply(start, V(rt, i), V(rr, i), Diameter);
                var q = PoseUpdate.Apply(start, V(tt, i), V(tr, i), Diameter);
                rot = Math.Max(rot, Mat3.AngleDegrees(p.R, q.R));
                trans = Math.Max(trans, 100 * (p.T - q.T).Norm / Diameter);
                transMm = Math.Max(transMm, 1000 * (p.T - q.T).Norm);
            }
        }
        into["rot"] = rot;
        into["trans"] = trans;
        into["trans_mm"] = transMm;
    }

    private static Vec3 V(FloatTensor t, int i) => new(t.Data[3 * i], t.Data[3 * i + 1], t.Data[3 * i + 2]);
}
