using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>Add and Mul -> QLinearAdd / QLinearMul (com.microsoft); constant operands are stored as integers.</summary>
internal sealed class BinaryQuantizer : IOpQuantizer
{
    private readonly string _qop;
    public BinaryQuantizer(string qop) { _qop = qop; }

    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        if (node.Input.Count != 2 || node.Input.All(plan.Index.IsInitializer)) return false;
        plan.QuantizeActivation(node.Input[0]);
        plan.QuantizeActivation(node.Input[1]);
        plan.QuantizeActivation(node.Output[0]);
        return true;
    }

    public void EmitQdq(NodeProto node, RewriteContext ctx) =>
        ctx.EmitCopy(node, node.Input.Select(ctx.Input));

    public void EmitQOperator(NodeProto node, RewriteContext ctx)
    {
        var a = ctx.Int(node.Input[0]);
        var b = ctx.Int(node.Input[1]);
        var y = ctx.OutputRef(node.Output[0]);
        ctx.Emit(_qop, node.Name,
            new[] { a.Name, a.Scale, a.ZeroPoint, b.Name, b.Scale, b.ZeroPoint, y.Scale, y.ZeroPoint },
            new[] { y.Name }, domain: "com.microsoft");
        ctx.DefineInt(node.Output[0], y.Name);
    }
}
