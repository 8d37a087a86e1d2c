using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>A quantized node and how deep it sits: 0 in the main graph, 1 in a body of a main-graph node, ...</summary>
internal readonly record struct QuantizedNode(string Name, int Depth);

/// <summary>
/// Runs a graph rewrite on the bodies of a control-flow node (If's branches, Loop's and Scan's body), recursively,
/// so quantization reaches layers that sit inside them. Each body is rewritten as a model of its own (the outer
/// model's opsets) whose graph is the body; the outer-scope constants it reads are lent to it as initializers, so
/// a weight defined outside is quantized like a local one, and taken back afterwards where still read as they
/// are (the body then reads the outer one again). Outer-scope activations stay outer-scope reads.
/// </summary>
internal static class SubgraphBodies
{
    public static bool Has(NodeProto node) => Subgraphs.Of(node).Any();

    /// <summary>A copy of <paramref name="node"/> with every body rewritten; the nodes quantized in them are added to
    /// <paramref name="quantized"/> one level deeper than the rewrite reports them.</summary>
    public static NodeProto Rewrite(NodeProto node, ModelProto outer, Func<ModelProto, ModeResult> rewrite,
        List<QuantizedNode> quantized)
    {
        var copy = node.Clone();
        foreach (var a in copy.Attribute)
        {
            if (a.G != null) a.G = RewriteBody(a.G, outer, rewrite, quantized);
            for (int i = 0; i < a.Graphs.Count; i++) a.Graphs[i] = RewriteBody(a.Graphs[i], outer, rewrite, quantized);
        }
        return copy;
    }

    /// <summary>The body as a model of its own, with the outer constants it reads lent as initializers.</summary>
    public static (ModelProto Model, HashSet<string> Lent) AsModel(GraphProto body, ModelProto outer)
    {
        var m = new ModelProto { IrVersion = Math.Max(outer.IrVersion, 7), Graph = body.Clone() };
        m.OpsetImport.AddRange(outer.OpsetImport.Select(o => o.Clone()));
        var outerInits = outer.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var lent = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Subgraphs.OuterReads(body))
            if (outerInits.TryGetValue(name, out var t) && lent.Add(name)) m.Graph.Initializer.Add(t.Clone());
        return (m, lent);
    }

    /// <summary>Takes back the lent constants the rewritten body still holds.</summary>
    public static GraphProto Return(ModelProto rewritten, HashSet<string> lent)
    {
        var g = rewritten.Graph;
        foreach (var i in g.Initializer.Where(i => lent.Contains(i.Name)).ToList()) g.Initializer.Remove(i);
        return g;
    }

    private static GraphProto RewriteBody(GraphProto body, ModelProto outer, Func<ModelProto, ModeResult> rewrite,
        List<QuantizedNode> quantized)
    {
        var (m, lent) = AsModel(body, outer);
        var rewritten = rewrite(m);
        quantized.AddRange(rewritten.Nodes.Select(n => n with { Depth = n.Depth + 1 }));
        return Return(rewritten.Model, lent);
    }

    /// <summary>How many nodes were quantized at each depth, e.g. "3 in the main graph, 2 at depth 1".</summary>
    public static string DepthSummary(IEnumerable<QuantizedNode> nodes) =>
        string.Join(", ", nodes.GroupBy(n => n.Depth).OrderBy(g => g.Key)
            .Select(g => g.Key == 0 ? $"{g.Count()} in the main graph" : $"{g.Count()} at subgraph depth {g.Key}"));
}
