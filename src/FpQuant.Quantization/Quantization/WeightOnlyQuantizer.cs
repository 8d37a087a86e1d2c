using FpQuant.Quantization.WeightOnly;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>Weight-only quantization: integer weights behind DequantizeLinear feeding the unchanged float ops.
/// Files shrink about 4x; compute stays float. Each selected node goes to its op's handler
/// (<see cref="WeightOnlyOpQuantizers"/>).</summary>
internal static class WeightOnlyQuantizer
{
    public static ModelProto Quantize(ModelProto model, QuantizationOptions o) => QuantizeWithNodes(model, o).Model;

    /// <summary>The quantized model and the names of the nodes whose weight became integer.</summary>
    public static (ModelProto Model, List<string> QuantizedNodes) QuantizeWithNodes(ModelProto model, QuantizationOptions o)
    {
        var (m, nodes) = QuantizeWithDepths(model, o);
        return (m, nodes.Select(n => n.Name).ToList());
    }

    /// <summary>The quantized model and the nodes whose weight became integer, with their depth (nodes inside
    /// If/Loop/Scan bodies included).</summary>
    public static (ModelProto Model, List<QuantizedNode> QuantizedNodes) QuantizeWithDepths(ModelProto model, QuantizationOptions o)
    {
        var ctx = new RewriteContext(QuantizationPlan.Make(model.Graph, o with { OpTypes = Array.Empty<string>() }), new());
        var selector = new NodeSelector(o.Include, o.Exclude);
        var ops = o.EffectiveOpTypes;
        var quantized = new List<QuantizedNode>();
        foreach (var node in model.Graph.Node)
        {
            if (SubgraphBodies.Has(node))
            {
                var copy = SubgraphBodies.Rewrite(node, model, body => QuantizeWithDepths(body, o), quantized);
                ctx.EmitCopy(copy, copy.Input);
                continue;
            }
            var handler = ops.Contains(node.OpType) && selector.Selects(node.Name) ? WeightOnlyOpQuantizers.For(node.OpType) : null;
            if (handler != null && handler.TryEmit(node, ctx)) quantized.Add(new QuantizedNode(node.Name, 0));
            else ctx.EmitCopy(node, node.Input);
        }
        return (GraphAssembly.Assemble(model, ctx.Nodes, ctx.NewInitializers, ctx.ReplacedInitializers, ctx.IsRead, o.PerChannel, false), quantized);
    }
}
