using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>Concat -> QLinearConcat: inputs keep their own scales, the output has one.</summary>
internal sealed class ConcatQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        foreach (var i in node.Input) plan.QuantizeActivation(i);
        plan.QuantizeActivation(node.Output[0]);
        return true;
    }

    public void EmitQdq(NodeProto node, RewriteContext ctx) => ctx.EmitCopy(node, node.Input.Select(ctx.Input));

    public void EmitQOperator(NodeProto node, RewriteContext ctx)
    {
        var y = ctx.OutputRef(node.Output[0]);
        var inputs = new List<string> { y.Scale, y.ZeroPoint };
        foreach (var i in node.Input) { var q = ctx.Int(i); inputs.AddRange(new[] { q.Name, q.Scale, q.ZeroPoint }); }
        var n = ctx.Emit("QLinearConcat", node.Name, inputs, new[] { y.Name }, domain: "com.microsoft");
        n.Attribute.Add(Onnx.GraphBuilder.Attr("axis", GraphIndex.IntAttr(node, "axis", 0)));
        ctx.DefineInt(node.Output[0], y.Name);
    }
}
