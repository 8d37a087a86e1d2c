using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>Add and Mul -> QLinearAdd / QLinearMul (com.microsoft); constant operands are stored as integers.</summary>
public sealed class BinaryQuantizer : IOpQuantizer
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
        ctx.Emit(_qop, node.Name, new[] { a.Name, a.Scale, a.ZeroPoint, b.Name, b.Scale, b.ZeroPoint, y.Scale, y.ZeroPoint }, new[] { y.Name }, domain: "com.microsoft");
        ctx.DefineInt(node.Output[0], y.Name);
    }
}

/// <summary>Softmax -> QLinearSoftmax; its output range is [0, 1] without calibration.</summary>
public sealed class SoftmaxQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        plan.QuantizeActivation(node.Input[0]);
        plan.Tensors[node.Output[0]] = new FixedSource(0f, 1f);
        return true;
    }

    public void EmitQdq(NodeProto node, RewriteContext ctx) => ctx.EmitCopy(node, new[] { ctx.Input(node.Input[0]) });

    public void EmitQOperator(NodeProto node, RewriteContext ctx)
    {
        var x = ctx.Int(node.Input[0]);
        var y = ctx.OutputRef(node.Output[0]);
        long opset = 13;
        var n = ctx.Emit("QLinearSoftmax", node.Name, new[] { x.Name, x.Scale, x.ZeroPoint, y.Scale, y.ZeroPoint }, new[] { y.Name }, domain: "com.microsoft");
        n.Attribute.Add(Onnx.GraphBuilder.Attr("axis", GraphIndex.IntAttr(node, "axis", -1)));
        n.Attribute.Add(Onnx.GraphBuilder.Attr("opset", opset));
        ctx.DefineInt(node.Output[0], y.Name);
    }
}

/// <summary>Concat -> QLinearConcat: inputs keep their own scales, the output has one.</summary>
public sealed class ConcatQuantizer : IOpQuantizer
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

/// <summary>
/// A Relu whose input is quantized asymmetrically is folded away: the input takes the Relu output's range, so its
/// zero point is the integer minimum and quantization itself clamps negatives to zero.
/// </summary>
public sealed class ReluQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        string x = node.Input[0], y = node.Output[0];
        if (plan.Options.SymmetricActivations) return false;
        if (!plan.Tensors.TryGetValue(x, out var src) || src is not CalibratedSource) return false;
        if (plan.Index.GraphOutputs.Contains(x) || plan.Index.GraphOutputs.Contains(y)) return false;
        if (plan.Index.ConsumersOf(x).Count != 1) return false;
        // A float layer reading the Relu output needs it in float, which a folded Relu does not produce.
        if (plan.Index.ConsumersOf(y).Any(c => c.OpType is "Conv" or "MatMul" or "Gemm" && c.Input.Count > 1
                && plan.Index.IsInitializer(c.Input[1]) && !plan.Selected(c))) return false;
        plan.Tensors[x] = new CalibratedSource(y);
        plan.Tensors[y] = new SharedSource(x);
        plan.RemovedRelus.Add(node.Name);
        return true;
    }

    public void EmitQdq(NodeProto node, RewriteContext ctx) => ctx.Alias(node.Output[0], node.Input[0]);
    public void EmitQOperator(NodeProto node, RewriteContext ctx) => ctx.Alias(node.Output[0], node.Input[0]);
}

/// <summary>
/// Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Split, MaxPool: they only move values, so a quantized input
/// stays quantized with the same scale and zero point (ONNX Runtime then runs them on the integers).
/// </summary>
public sealed class DataMovementQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        if (!plan.IsQuantized(node.Input[0])) return false;
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
