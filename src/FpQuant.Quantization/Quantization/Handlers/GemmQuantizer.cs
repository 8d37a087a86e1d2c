using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>Gemm -> QGemm: weight B per channel along axis 0 when transB else 1; C as int32 bias. A computed B (a Gemm
/// of two activations) is quantized like MatMul's: as an activation, when the options quantize activation
/// products.</summary>
internal sealed class GemmQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        if (plan.Index.IsInitializer(node.Input[0])) return false;
        bool constantB = plan.Index.IsInitializer(node.Input[1]);
        if (!constantB && !plan.Options.ActivationMatMuls) return false;
        if (GraphIndex.IntAttr(node, "transA", 0) != 0) return false;
        if (GraphIndex.FloatAttr(node, "alpha", 1f) != 1f || GraphIndex.FloatAttr(node, "beta", 1f) != 1f) return false;
        plan.QuantizeActivation(node.Input[0]);
        if (!constantB) plan.QuantizeActivation(node.Input[1]);
        if (plan.Options.Format == QuantFormat.QOperator) plan.QuantizeActivation(node.Output[0]);
        return true;
    }

    private static int? Axis(NodeProto node, RewriteContext ctx) =>
        OpTraits.WeightAxis(node, ctx.Index, ctx.Options.PerChannel);

    private static bool HasBias(NodeProto n, RewriteContext ctx) =>
        n.Input.Count > 2 && n.Input[2].Length > 0 && ctx.Index.IsInitializer(n.Input[2])
            && ctx.Index.Initializers[n.Input[2]].Dims.Count == 1;

    public void EmitQdq(NodeProto node, RewriteContext ctx)
    {
        if (!ctx.Index.IsInitializer(node.Input[1]))
        {
            ctx.EmitCopy(node, node.Input.Select(ctx.Input));
            return;
        }
        var w = ctx.Weight(node.Input[1], Axis(node, ctx));
        var inputs =
            new List<string> { ctx.Input(node.Input[0]), ctx.WeightDequantized(node.Input[1], Axis(node, ctx)) };
        if (HasBias(node, ctx))
            inputs.Add(ctx.BiasDequantized(node.Input[2], ctx.Params[node.Input[0]].Scale[0], w.Params));
        else if (node.Input.Count > 2) inputs.Add(ctx.Input(node.Input[2]));
        ctx.EmitCopy(node, inputs);
    }

    public void EmitQOperator(NodeProto node, RewriteContext ctx)
    {
        // QGemm wants a constant B: two activations are multiplied in float, read through their quantized forms.
        if (!ctx.Index.IsInitializer(node.Input[1]))
        {
            ctx.EmitCopy(node,
                node.Input.Select(i => i.Length == 0 ? i : ctx.Plan.IsQuantized(i) ? ctx.Dequantized(i)
                    : ctx.Float(i)));
            return;
        }
        var a = ctx.Int(node.Input[0]);
        var w = ctx.Weight(node.Input[1], Axis(node, ctx));
        var y = ctx.OutputRef(node.Output[0]);
        string c = "";
        if (HasBias(node, ctx)) c = ctx.Bias(node.Input[2], a.Params.Scale[0], w.Params).Name;
        else if (node.Input.Count > 2 && node.Input[2].Length > 0) { EmitQdqFallback(node, ctx); return; }
        var n = ctx.Emit("QGemm", node.Name,
            new[] { a.Name, a.Scale, a.ZeroPoint, w.Name, w.Scale, w.ZeroPoint, c, y.Scale, y.ZeroPoint },
            new[] { y.Name }, domain: "com.microsoft");
        n.Attribute.AddRange(node.Attribute.Where(x => x.Name is "transB" or "alpha").Select(x => x.Clone()));
        ctx.DefineInt(node.Output[0], y.Name);
    }

    /// <summary>
    /// A computed C has no QGemm form: dequantize and run the float Gemm, then requantize the output.
    /// </summary>
    private static void EmitQdqFallback(NodeProto node, RewriteContext ctx)
    {
        var inputs = new[] { ctx.Float(node.Input[0]), ctx.WeightDequantized(node.Input[1], Axis(node, ctx)),
            ctx.Float(node.Input[2]) };
        ctx.EmitCopy(node, inputs);
    }
}
