using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>
/// Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Split, MaxPool: they only move values, so a quantized input
/// stays quantized with the same scale and zero point (ONNX Runtime then runs them on the integers).
/// </summary>
internal sealed class DataMovementQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        if (!plan.IsQuantized(node.Input[0]) || node.Output.Any(plan.FloatTensors.Keeps)) return false;
        foreach (var o in node.Output) plan.Tensors[o] = new SharedSource(node.Input[0]);
        return true;
    }

    public void EmitQdq(NodeProto node, RewriteContext ctx) =>
        ctx.EmitCopy(node, node.Input.Select((i, k) => k == 0 ? ctx.Input(i) : i));

    public void EmitQOperator(NodeProto node, RewriteContext ctx)
    {
        var x = ctx.Int(node.Input[0]);
        var outs = node.Output.Select(o => $"{o}/q").ToArray();
        ctx.EmitCopy(node, node.Input.Select((i, k) => k == 0 ? x.Name : i), outs);
        for (int k = 0; k < outs.Length; k++) ctx.DefineInt(node.Output[k], outs[k]);
    }
}
