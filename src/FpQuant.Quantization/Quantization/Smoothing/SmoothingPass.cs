using FpQuant.Core;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization.Smoothing;

/// <summary>Outlier smoothing as the quantizer's pre-pass: on the MatMul/Gemm nodes the recipe makes integer (static
/// or dynamic), with the recipe's alpha (<see cref="QuantizationOptions.SmoothingAlpha"/>).</summary>
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
    /// to quantize it with: an inserted smoothing Mul stays float (its 1/s spans decades, which one int8 scale of a
    /// constant cannot hold; the MatMul's own input quantization follows it anyway).</summary>
    public static (SmoothingResult Result, QuantizationOptions Options) Apply(ModelProto model, string source,
        QuantizationOptions o, InputSource? calibration, RuntimeSettings settings)
    {
        if (o.SmoothingAlpha is not double alpha) return (new SmoothingResult(model, Array.Empty<SmoothedTensor>()), o);
        if (calibration == null)
            throw new FpQuantException("smoothing (SmoothingAlpha) measures activation channels on calibration data: " +
                "give an InputSource of samples");
        var r = OutlierSmoothing.Apply(model, source, IntegerNodes(model.Graph, o), _ => alpha, calibration, settings);
        var inserted = r.Tensors.Where(t => t.FoldedInto == OutlierSmoothing.InsertedMul)
            .Select(t => NodeSelector.ForName(OutlierSmoothing.MulName(t.Tensor))).ToList();
        return (r, inserted.Count == 0 ? o : o with { Exclude = o.Exclude.Concat(inserted).Distinct().ToList() });
    }

}
