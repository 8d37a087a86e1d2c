using FpQuant.Core;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization.Smoothing;

/// <summary>Outlier smoothing as the quantizer's pre-pass: on the MatMul/Gemm nodes the recipe makes integer (static
/// or dynamic), with the recipe's alpha (<see cref="QuantizationOptions.SmoothingAlpha"/>).</summary>
public static class SmoothingPass
{
    /// <summary>SmoothQuant's own default migration strength.</summary>
    public const double DefaultAlpha = 0.5;

    /// <summary>Which nodes the recipe turns into integer compute (and so may be smoothed).</summary>
    public static Func<NodeProto, bool> IntegerNodes(GraphProto graph, QuantizationOptions o)
    {
        if (o.Modes.Count > 0)
        {
            var assignment = Mixed.MixedQuantizer.Assign(graph, o);
            return n => assignment.TryGetValue(n.Name, out var a) && a.Mode is Mixed.NodeMode.Static or Mixed.NodeMode.Dynamic;
        }
        if (o.Mode is not (QuantMode.Static or QuantMode.Dynamic)) return _ => false;
        var ops = o.EffectiveOpTypes;
        var selector = new NodeSelector(o.Include, o.Exclude);
        return n => ops.Contains(n.OpType) && selector.Selects(n.Name);
    }

    /// <summary>The model smoothed as the options ask, or unchanged (and no tensors) when they do not.</summary>
    public static SmoothingResult Apply(ModelProto model, string source, QuantizationOptions o, CalibrationSource? calibration, RuntimeSettings settings)
    {
        if (o.SmoothingAlpha is not double alpha) return new SmoothingResult(model, Array.Empty<SmoothedTensor>());
        if (calibration == null) throw new FpQuantException("--smooth measures activation channels on calibration data: give --calibration");
        return OutlierSmoothing.Apply(model, source, IntegerNodes(model.Graph, o), _ => alpha, calibration, settings);
    }

    public static double ParseAlpha(string text) =>
        text.Trim().ToLowerInvariant() == "auto" ? DefaultAlpha
        : double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double a) && a >= 0 && a <= 1 ? a
        : throw new FpQuantException($"--smooth '{text}': use auto or a migration strength alpha in [0, 1], e.g. 0.5");
}
