using Onnx;

namespace FpQuant.Onnx;

/// <summary>
/// The bodies of control-flow nodes (If's branches, Loop's and Scan's body): finding them, and the names a body
/// reads from the graphs around it (outer-scope values, which it uses without declaring them as inputs).
/// </summary>
internal static class Subgraphs
{
    /// <summary>The graphs a node holds in its attributes (none for an ordinary op).</summary>
    public static IEnumerable<GraphProto> Of(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            if (a.G != null) yield return a.G;
            foreach (var g in a.Graphs) yield return g;
        }
    }

    /// <summary>Every node of a graph and of the bodies nested in it, with its depth (0 for the graph's own).</summary>
    public static IEnumerable<(NodeProto Node, int Depth)> AllNodes(GraphProto graph, int depth = 0)
    {
        foreach (var n in graph.Node)
        {
            yield return (n, depth);
            foreach (var body in Of(n))
                foreach (var inner in AllNodes(body, depth + 1)) yield return inner;
        }
    }

    /// <summary>The names defined inside a graph's own scope: its inputs, initializers and node outputs.</summary>
    public static HashSet<string> Defined(GraphProto graph)
    {
        var d = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in graph.Input) d.Add(i.Name);
        foreach (var i in graph.Initializer) d.Add(i.Name);
        foreach (var n in graph.Node) foreach (var o in n.Output) if (o.Length > 0) d.Add(o);
        return d;
    }

    /// <summary>The names a body (or a body nested in it) reads from outside itself, in order of first use.</summary>
    public static IEnumerable<string> OuterReads(GraphProto body)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        Visit(body, new HashSet<string>(StringComparer.Ordinal),
            name => { if (seen.Add(name)) result.Add(name); return name; });
        return result;
    }

    /// <summary>Renames, in place, every read of an outer-scope name in a body and the bodies nested in it.</summary>
    public static void RenameOuterReads(GraphProto body, Func<string, string> rename) =>
        Visit(body, new HashSet<string>(StringComparer.Ordinal), rename);

    private static void Visit(GraphProto g, HashSet<string> enclosing, Func<string, string> outer)
    {
        var scope = new HashSet<string>(enclosing, StringComparer.Ordinal);
        scope.UnionWith(Defined(g));
        foreach (var n in g.Node)
        {
            for (int k = 0; k < n.Input.Count; k++)
                if (n.Input[k].Length > 0 && !scope.Contains(n.Input[k])) n.Input[k] = outer(n.Input[k]);
            foreach (var inner in Of(n)) Visit(inner, scope, outer);
        }
        foreach (var o in g.Output)
            if (!scope.Contains(o.Name)) o.Name = outer(o.Name);
    }
}
