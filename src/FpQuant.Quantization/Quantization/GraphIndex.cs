using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// Who produces and who consumes each tensor of a graph; which names are initializers, inputs, outputs.
/// </summary>
internal sealed class GraphIndex
{
    public GraphProto Graph { get; }
    public Dictionary<string, TensorProto> Initializers { get; }
    public Dictionary<string, NodeProto> Producer { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, List<NodeProto>> Consumers { get; } = new(StringComparer.Ordinal);
    public HashSet<string> GraphInputs { get; }
    public HashSet<string> GraphOutputs { get; }

    public GraphIndex(GraphProto graph)
    {
        Graph = graph;
        Initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        GraphInputs =
            graph.Input.Select(i => i.Name).Where(n => !Initializers.ContainsKey(n)).ToHashSet(StringComparer.Ordinal);
        GraphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            foreach (var o in n.Output) if (o.Length > 0) Producer[o] = n;
            foreach (var i in n.Input)
            {
                if (i.Length == 0) continue;
                if (!Consumers.TryGetValue(i, out var list)) Consumers[i] = list = new List<NodeProto>();
                list.Add(n);
            }
        }
    }

    public bool IsInitializer(string name) => Initializers.ContainsKey(name);
    public IReadOnlyList<NodeProto> ConsumersOf(string t) => Consumers.TryGetValue(t, out var l) ? l
        : Array.Empty<NodeProto>();

    public static long IntAttr(NodeProto n, string name, long fallback)
    {
        var a = n.Attribute.FirstOrDefault(x => x.Name == name);
        return a == null ? fallback : a.I;
    }

    public static float FloatAttr(NodeProto n, string name, float fallback)
    {
        var a = n.Attribute.FirstOrDefault(x => x.Name == name);
        return a == null ? fallback : a.F;
    }
}
