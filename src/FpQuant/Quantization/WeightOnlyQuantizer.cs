using Onnx;

namespace FpQuant.Quantization;

/// <summary>Weight-only quantization: integer weights behind DequantizeLinear feeding the unchanged float ops.
/// Files shrink about 4x; compute stays float.</summary>
public static class WeightOnlyQuantizer
{
    public static ModelProto Quantize(ModelProto model, QuantizationOptions o)
    {
        var ctx = new RewriteContext(QuantizationPlan.Make(model.Graph, o with { OpTypes = new List<string>() }), new());
        var selector = new NodeSelector(o.Include, o.Exclude);
        var ops = o.EffectiveOpTypes;
        foreach (var node in model.Graph.Node)
        {
            if (!ops.Contains(node.OpType) || !selector.Selects(node.Name) || node.Input.Count < 2 || !ctx.Index.IsInitializer(node.Input[1]))
            {
                ctx.EmitCopy(node, node.Input);
                continue;
            }
            var w = ctx.Index.Initializers[node.Input[1]];
            int? axis = !o.PerChannel ? null : node.OpType switch
            {
                "Conv" => 0,
                "MatMul" => w.Dims.Count == 2 ? 1 : null,
                "Gemm" => GraphIndex.IntAttr(node, "transB", 0) != 0 ? 0 : 1,
                _ => null,
            };
            var inputs = node.Input.ToList();
            inputs[1] = ctx.WeightDequantized(node.Input[1], axis);
            ctx.EmitCopy(node, inputs);
        }
        return GraphAssembly.Assemble(model, ctx.Nodes, ctx.NewInitializers, ctx.ReplacedInitializers, ctx.IsRead, o.PerChannel, false);
    }
}
