using FpQuant.Quantization.Dynamic;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// Dynamic quantization: weights become integers now, activations are quantized on every run by
/// DynamicQuantizeLinear (u8, their own min/max). Each selected node goes to its op's handler
/// (<see cref="DynamicOpQuantizers"/>); a node the handler declines (no constant weight) stays float.
/// </summary>
internal static class DynamicQuantizer
{
    public static ModelProto Quantize(ModelProto model, QuantizationOptions o) => QuantizeWithNodes(model, o).Model;

    /// <summary>The quantized model and the names of the nodes made integer.</summary>
    public static (ModelProto Model, List<string> QuantizedNodes) QuantizeWithNodes(ModelProto model, QuantizationOptions o)
    {
        var (m, nodes) = QuantizeWithDepths(model, o);
        return (m, nodes.Select(n => n.Name).ToList());
    }

    /// <summary>The quantized model and the nodes made integer, with their depth (nodes inside If/Loop/Scan bodies
    /// included).</summary>
    public static (ModelProto Model, List<QuantizedNode> QuantizedNodes) QuantizeWithDepths(ModelProto model, QuantizationOptions o)
    {
        // An empty plan: dynamic quantization needs no activation parameters, only the weight helpers.
        var ctx = new RewriteContext(QuantizationPlan.Make(model.Graph, o with { OpTypes = Array.Empty<string>() }), new());
        var rewrite = new DynamicRewrite(ctx);
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
            var handler = ops.Contains(node.OpType) && selector.Selects(node.Name) ? DynamicOpQuantizers.For(node.OpType) : null;
            if (handler != null && handler.TryEmit(node, rewrite)) quantized.Add(new QuantizedNode(node.Name, 0));
            else ctx.EmitCopy(node, node.Input);
        }
        return (GraphAssembly.Assemble(model, ctx.Nodes, ctx.NewInitializers, ctx.ReplacedInitializers, ctx.IsRead, needsAxisOpset: false, usesMicrosoft: false), quantized);
    }
}
