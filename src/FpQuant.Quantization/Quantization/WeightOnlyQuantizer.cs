using FpQuant.Quantization.WeightOnly;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>Weight-only quantization: integer weights behind DequantizeLinear feeding the unchanged float ops.
/// Files shrink about 4x; compute stays float. Each selected node goes to its op's handler
/// (<see cref="WeightOnlyOpQuantizers"/>).</summary>
internal static class WeightOnlyQuantizer
{
    /// <summary>The quantized model and the nodes whose weight became integer, with their depth (nodes inside
    /// If/Loop/Scan bodies included).</summary>
    public static ModeResult Quantize(ModelProto model, QuantizationOptions o) =>
        NodeRewriteLoop.Run(model, new SelectedNodeRewriter(model, o,
            ctx => node => WeightOnlyOpQuantizers.For(node.OpType) is { } h && h.TryEmit(node, ctx),
            body => Quantize(body, o), needsAxisOpset: o.PerChannel));
}
