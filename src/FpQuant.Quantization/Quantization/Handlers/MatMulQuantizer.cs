using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>
/// MatMul -> QLinearMatMul. A constant B is a weight (per column, axis 1, when per-channel); a computed B (attention's
/// Q K^T and P V) is an activation. In QDQ form the output is left float unless a quantized consumer needs it, so
/// ONNX Runtime can pick MatMulIntegerToFloat.
/// </summary>
internal sealed class MatMulQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        if (plan.Index.IsInitializer(node.Input[0])) return false;
        // Both operands computed (attention's Q K^T, P V): quantized only when the options ask for it.
        if (!plan.Index.IsInitializer(node.Input[1]) && !plan.Options.ActivationMatMuls) return false;
        plan.QuantizeActivation(node.Input[0]);
        if (!plan.Index.IsInitializer(node.Input[1])) plan.QuantizeActivation(node.Input[1]);
        if (plan.Options.Format == QuantFormat.QOperator) plan.QuantizeActivation(node.Output[0]);
        return true;
    }

    private static int? WeightAxis(NodeProto node, RewriteContext ctx) =>
        OpTraits.WeightAxis(node, ctx.Index, ctx.Options.PerChannel);

    public void EmitQdq(NodeProto node, RewriteContext ctx)
    {
        string a = ctx.Input(node.Input[0]);
        string b = ctx.Index.IsInitializer(node.Input[1])
            ? ctx.WeightDequantized(node.Input[1], WeightAxis(node, ctx))
            : ctx.Input(node.Input[1]);
        ctx.EmitCopy(node, new[] { a, b });
    }

    public void EmitQOperator(NodeProto node, RewriteContext ctx)
    {
        var a = ctx.Int(node.Input[0]);
        var b = ctx.Index.IsInitializer(node.Input[1]) ? ctx.Weight(node.Input[1], WeightAxis(node, ctx))
            : ctx.Int(node.Input[1]);
        var y = ctx.OutputRef(node.Output[0]);
        ctx.Emit("QLinearMatMul", node.Name,
            new[] { a.Name, a.Scale, a.ZeroPoint, b.Name, b.Scale, b.ZeroPoint, y.Scale, y.ZeroPoint },
            new[] { y.Name });
        ctx.DefineInt(node.Output[0], y.Name);
    }
}
