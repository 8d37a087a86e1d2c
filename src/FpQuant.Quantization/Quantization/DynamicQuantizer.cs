using FpQuant.Quantization.Dynamic;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// Dynamic quantization: weights become integers now, activations are quantized on every run by
/// DynamicQuantizeLinear (u8, their own min/max). Each selected node goes to its op's handler
/// (<see cref="DynamicOpQuantizers"/>); a node the handler declines (no constant weight) stays float, and so does one
/// that reads a tensor <see cref="QuantizationOptions.FloatTensors"/> keeps float (it would quantize it).
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
                var kept = new FloatTensorSelector(o.FloatTensors);
                return node => !node.Input.Any(kept.Keeps) && DynamicOpQuantizers.For(node.OpType) is { } h
                    && h.TryEmit(node, rewrite);
            },
            body => Quantize(body, o), needsAxisOpset: false));
}
