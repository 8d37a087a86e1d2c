using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>Softmax -> QLinearSoftmax; its output range is [0, 1] without calibration.</summary>
internal sealed class SoftmaxQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        plan.QuantizeActivation(node.Input[0]);
        if (!plan.FloatTensors.Keeps(node.Output[0])) plan.Tensors[node.Output[0]] = new FixedSource(0f, 1f);
        return true;
    }

    public void EmitQdq(NodeProto node, RewriteContext ctx) => ctx.EmitCopy(node, new[] { ctx.Input(node.Input[0]) });

    public void EmitQOperator(NodeProto node, RewriteContext ctx)
    {
        var x = ctx.Int(node.Input[0]);
        var y = ctx.OutputRef(node.Output[0]);
        long opset = 13;
        var n = ctx.Emit("QLinearSoftmax", node.Name, new[] { x.Name, x.Scale, x.ZeroPoint, y.Scale, y.ZeroPoint },
            new[] { y.Name }, domain: "com.microsoft");
        n.Attribute.Add(Onnx.GraphBuilder.Attr("axis", GraphIndex.IntAttr(node, "axis", -1)));
        n.Attribute.Add(Onnx.GraphBuilder.Attr("opset", opset));
        ctx.DefineInt(node.Output[0], y.Name);
    }
}
