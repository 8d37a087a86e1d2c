using FpQuant.Quantization.Dynamic;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// Dynamic quantization: weights become integers now, activations are quantized on every run by
/// DynamicQuantizeLinear (u8, their own min/max). Each selected node goes to its op's handler
/// (<see cref="DynamicOpQuantizers"/>); a node the handler declines (no constant weight) stays float.
/// </summary>
internal static class DynamicQuantizer
{
    /// <summary>The quantized model and the nodes made integer, with their depth (nodes inside If/Loop/Scan bodies
    /// included).</summary>
    public static ModeResult Quantize(ModelProto model, QuantizationOptions o) =>
        NodeRewriteLoop.Run(model, new SelectedNodeRewriter(model, o,
            ctx =>
            {
                var rewrite = new DynamicRewrite(ctx);
                return node => DynamicOpQuantizers.For(node.OpType) is { } h && h.TryEmit(node, rewrite);
            },
            body => Quantize(body, o), needsAxisOpset: false));
}
