using Onnx;

namespace FpQuant.Quantization.Preprocessing;

/// <summary>After a pass removes nodes: initializers no remaining node or graph output reads go, with the graph
/// inputs of the same names (old exports list initializers as inputs too).</summary>
internal static class UnreadInitializers
{
    public static void Drop(GraphProto g)
    {
        var read =
            g.Node.SelectMany(n => n.Input).Concat(g.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var keep = g.Initializer.Where(i => read.Contains(i.Name)).ToList();
        var dropped =
            g.Initializer.Select(i => i.Name).Except(keep.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        g.Initializer.Clear();
        g.Initializer.AddRange(keep);
        var inputs = g.Input.Where(i => !dropped.Contains(i.Name)).ToList();
        g.Input.Clear();
        g.Input.AddRange(inputs);
    }
}
