using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>
/// ConvTranspose with a constant weight: quantized input and weight (per output channel, axis 1, when the
/// convolution is not grouped) read through DequantizeLinear, the float bias kept, the output quantized for the
/// next node: the QDQ pattern ONNX Runtime fuses into an integer transposed convolution where it has one. Both
/// formats write this pattern (QOperator has no standard integer ConvTranspose).
/// </summary>
internal sealed class ConvTransposeQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan) => ConvQuantizer.PlanConvolution(node, plan);

    public void EmitQdq(NodeProto node, RewriteContext ctx)
    {
        int? axis = OpTraits.WeightAxis(node, ctx.Index, ctx.Options.PerChannel);
        var inputs = new List<string> { ctx.Input(node.Input[0]), ctx.WeightDequantized(node.Input[1], axis) };
        if (node.Input.Count > 2) inputs.Add(ctx.Input(node.Input[2]));
        ctx.EmitCopy(node, inputs);
    }

    public void EmitQOperator(NodeProto node, RewriteContext ctx)
    {
        int? axis = OpTraits.WeightAxis(node, ctx.Index, ctx.Options.PerChannel);
        var inputs = new List<string> { ctx.Dequantized(node.Input[0]), ctx.WeightDequantized(node.Input[1], axis) };
        if (node.Input.Count > 2) inputs.Add(ctx.Float(node.Input[2]));
        ctx.EmitCopy(node, inputs);
    }
}
