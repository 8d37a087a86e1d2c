using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Networks;
using FpQuant.Pipeline;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>How close a quantized model's outputs are to float on the same inputs, in the terms that matter for
/// each network: ranking for ScoreNet, refined pose for RefineNet, SQNR for anything.</summary>
public sealed record OutputFidelity(double SqnrDb, double? Spearman, bool? Top1Agrees, double? RotationDevMaxDeg, double? TranslationDevMaxPct)
{
    public static OutputFidelity Compare(NetworkKind? kind, IReadOnlyList<List<(string Name, FloatTensor Value)>> reference,
        IReadOnlyList<List<(string Name, FloatTensor Value)>> test, double diameter = 0.2)
    {
        var rAll = reference.SelectMany(b => b.SelectMany(o => o.Value.Data)).ToArray();
        var tAll = test.SelectMany(b => b.SelectMany(o => o.Value.Data)).ToArray();
        double sqnr = QuantMath.Sqnr(rAll, tAll);
        if (kind == NetworkKind.Score)
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
            return new OutputFidelity(sqnr, rho, top1, null, null);
        }
        if (kind == NetworkKind.Refine)
        {
            // One refine step from the same start pose: how far apart do float and quantized send it?
            double rot = 0, trans = 0;
            var start = new Pose(Mat3.Identity, new Vec3(0, 0, 0.6));
            for (int b = 0; b < reference.Count; b++)
            {
                var (rt, rr) = (reference[b][0].Value, reference[b][1].Value);
                var (tt, tr) = (test[b][0].Value, test[b][1].Value);
                for (int i = 0; i < rt.Shape[0]; i++)
                {
                    var p = PoseUpdate.Apply(start, V(rt, i), V(rr, i), diameter);
                    var q = PoseUpdate.Apply(start, V(tt, i), V(tr, i), diameter);
                    rot = Math.Max(rot, Mat3.AngleDegrees(p.R, q.R));
                    trans = Math.Max(trans, 100 * (p.T - q.T).Norm / diameter);
                }
            }
            return new OutputFidelity(sqnr, null, null, rot, trans);
        }
        return new OutputFidelity(sqnr, null, null, null, null);
    }

    private static Vec3 V(FloatTensor t, int i) => new(t.Data[3 * i], t.Data[3 * i + 1], t.Data[3 * i + 2]);

    public override string ToString() =>
        $"SQNR {SqnrDb:F1} dB" + (Spearman is double s ? $", Spearman {s:F3}, top-1 {(Top1Agrees == true ? "same" : "differs")}" : "")
        + (RotationDevMaxDeg is double r ? $", pose {r:F3} deg / {TranslationDevMaxPct:F3} %" : "");
}

/// <summary>The fidelity a quantized model must keep (autoquant's budget).</summary>
public sealed record FidelityBudget
{
    public double MinSpearman { get; init; } = 0.99;
    public bool RequireTop1 { get; init; } = true;
    public double MaxRotationDeg { get; init; } = 0.5;
    public double MaxTranslationPct { get; init; } = 0.5;
    /// <summary>For models that are neither network: the output SQNR floor.</summary>
    public double MinSqnrDb { get; init; } = 30;

    public bool Holds(OutputFidelity f, NetworkKind? kind) => kind switch
    {
        NetworkKind.Score => f.Spearman >= MinSpearman && (!RequireTop1 || f.Top1Agrees == true),
        NetworkKind.Refine => f.RotationDevMaxDeg <= MaxRotationDeg && f.TranslationDevMaxPct <= MaxTranslationPct,
        _ => f.SqnrDb >= MinSqnrDb,
    };
}
