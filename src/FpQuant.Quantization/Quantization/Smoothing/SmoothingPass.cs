using FpQuant.Core;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization.Smoothing;

/// <summary>Outlier smoothing as the quantizer's pre-pass: on the MatMul/Gemm nodes the recipe makes integer (static
/// or dynamic), with the recipe's alpha (<see cref="QuantizationOptions.SmoothingAlpha"/>) or one searched per layer
/// (<see cref="QuantizationOptions.SmoothingPerLayer"/>, <see cref="AlphaSearch"/>).</summary>
internal static class SmoothingPass
{
    /// <summary>SmoothQuant's own default migration strength.</summary>
    public const double DefaultAlpha = 0.5;

    /// <summary>Which nodes the recipe turns into integer compute (and so may be smoothed).</summary>
    public static Func<NodeProto, bool> IntegerNodes(GraphProto graph, QuantizationOptions o)
    {
        if (o.Modes.Count > 0)
        {
            var assignment = Mixed.MixedQuantizer.Assign(graph, o);
            return n => assignment.TryGetValue(n.Name, out var a) && a.Mode is Mixed.NodeMode.Static
                or Mixed.NodeMode.Dynamic;
        }
        if (o.Mode is not (QuantMode.Static or QuantMode.Dynamic)) return _ => false;
        var ops = o.EffectiveOpTypes;
        var selector = new NodeSelector(o.Include, o.Exclude);
        return n => ops.Contains(n.OpType) && selector.Selects(n.Name);
    }

    /// <summary>The model smoothed as the options ask, or unchanged (and no tensors) when they do not; and the options
    /// to quantize it with: an inserted smoothing Mul, and the Mul restoring X for a folded X's other readers, stay
    /// float (s spans decades, which one int8 scale of a constant cannot hold; the MatMul's own input quantization
    /// follows the smoothing Mul anyway).</summary>
    public static (SmoothingResult Result, QuantizationOptions Options) Apply(ModelProto model, string source,
        QuantizationOptions o, InputSource? calibration, RuntimeSettings settings)
    {
        if (!o.Smooths) return (new SmoothingResult(model, Array.Empty<SmoothedTensor>()), o);
        if (calibration == null)
        {
            string option = o.SmoothingPerLayer ? "SmoothingPerLayer" : "SmoothingAlpha";
            throw new FpQuantException($"smoothing ({option}) measures activation channels on calibration data: " +
                "give an InputSource of samples");
        }
        Func<SmoothingLayer, double> alphaOf = o.SmoothingAlpha is double alpha ? _ => alpha
            : AlphaSearch.For(o.WithResolvedReduceRange(settings.Provider)).Best;
        var r = OutlierSmoothing.Apply(model, source, IntegerNodes(model.Graph, o), alphaOf, calibration, settings);
        var inserted = r.Tensors.Where(t => t.FoldedInto == OutlierSmoothing.InsertedMul)
            .Select(t => NodeSelector.ForName(OutlierSmoothing.MulName(t.Tensor)))
            .Concat(r.Tensors.Where(t => t.FoldedInto.EndsWith(OutlierSmoothing.RestoringMul, StringComparison.Ordinal))
                .Select(t => NodeSelector.ForName(OutlierSmoothing.RestoreName(t.Tensor)))).ToList();
        return (r, inserted.Count == 0 ? o : o with { Exclude = o.Exclude.Concat(inserted).Distinct().ToList() });
    }

}
