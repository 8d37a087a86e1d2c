using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>
/// Conv -> QLinearConv: u8/s8 input, weights per output channel (axis 0), int32 bias, quantized output.
/// </summary>
internal sealed class ConvQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan) => PlanConvolution(node, plan);

    /// <summary>The plan of a convolution (Conv, ConvTranspose): one with a constant weight and a computed input has
    /// its input and output quantized.</summary>
    public static bool PlanConvolution(NodeProto node, QuantizationPlan plan)
    {
        if (node.Input.Count < 2 || !plan.Index.IsInitializer(node.Input[1]) || plan.Index.IsInitializer(node.Input[0]))
            return false;
        plan.QuantizeActivation(node.Input[0]);
        plan.QuantizeActivation(node.Output[0]);
        return true;
    }

    private static bool HasBias(NodeProto n, RewriteContext ctx) => n.Input.Count > 2 && n.Input[2].Length > 0
        && ctx.Index.IsInitializer(n.Input[2]);

    public void EmitQdq(NodeProto node, RewriteContext ctx)
    {
        int? axis = OpTraits.WeightAxis(node, ctx.Index, ctx.Options.PerChannel);
        string x = ctx.Input(node.Input[0]);
        var w = ctx.Weight(node.Input[1], axis);
        var inputs = new List<string> { x, ctx.WeightDequantized(node.Input[1], axis) };
        if (HasBias(node, ctx))
            inputs.Add(ctx.BiasDequantized(node.Input[2], ctx.Params[node.Input[0]].Scale[0], w.Params));
        else if (node.Input.Count > 2) inputs.Add(ctx.Input(node.Input[2]));
        ctx.EmitCopy(node, inputs);
    }

    public void EmitQOperator(NodeProto node, RewriteContext ctx)
    {
        int? axis = OpTraits.WeightAxis(node, ctx.Index, ctx.Options.PerChannel);
        var x = ctx.Int(node.Input[0]);
        var w = ctx.Weight(node.Input[1], axis);
        var y = ctx.OutputRef(node.Output[0]);
        var inputs =
            new List<string> { x.Name, x.Scale, x.ZeroPoint, w.Name, w.Scale, w.ZeroPoint, y.Scale, y.ZeroPoint };
        if (HasBias(node, ctx)) inputs.Add(ctx.Bias(node.Input[2], x.Params.Scale[0], w.Params).Name);
        var n = ctx.Emit("QLinearConv", node.Name, inputs, new[] { y.Name });
        n.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
        ctx.DefineInt(node.Output[0], y.Name);
    }
}
