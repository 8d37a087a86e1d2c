using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// Makes tensors that live inside If/Loop/Scan bodies observable by calibration. A body cannot hand a tensor to
/// the main graph directly, and its shape may change from one iteration to the next, so the body computes the
/// tensor's min and max (ReduceMin/ReduceMax to scalars) and returns them as extra outputs: a Loop or Scan stacks
/// them over iterations as extra scan outputs, an If returns them from the branch that ran (the other branch
/// returns empty tensors), and so on up to the main graph, whose outputs calibration reads. Only the [min, max]
/// of such a tensor is observed, so histogram methods fall back to min/max for it.
/// </summary>
internal static class SubgraphExposure
{
    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal) { "If", "Loop", "Scan" };

    /// <summary>Adds the exposing nodes and outputs to <paramref name="graph"/> (the main graph of a copy) and returns
    /// each new main-graph output with the body tensor whose min or max it carries.</summary>
    public static List<(string Output, string Tensor)> Expose(GraphProto graph, IReadOnlySet<string> wanted)
    {
        var produced = ExposeNested(graph, wanted);
        foreach (var (name, _) in produced) graph.Output.Add(ExtraOutputs.FloatOutput(name));
        return produced;
    }

    private static List<(string Name, string Tensor)> ExposeNested(GraphProto g, IReadOnlySet<string> wanted)
    {
        var result = new List<(string, string)>();
        foreach (var node in g.Node.ToList())
        {
            if (!Supported.Contains(node.OpType) || node.Domain is not ("" or "ai.onnx")) continue;
            var bodies = node.Attribute.Where(a => a.G != null).ToList();
            var perBody = bodies.Select(a => InBody(a.G, wanted)).ToList();
            if (perBody.All(l => l.Count == 0)) continue;
            var all = perBody.SelectMany(l => l).ToList();
            for (int b = 0; b < bodies.Count; b++)
            {
                var body = bodies[b].G;
                // Every body of the node returns the same outputs: its own values, empty placeholders for the others'.
                for (int k = 0; k < perBody.Count; k++)
                    foreach (var (name, _) in perBody[k])
                    {
                        if (k == b) { body.Output.Add(ExtraOutputs.FloatOutput(name)); continue; }
                        string empty = $"{name}/not_run_in_{body.Name}";
                        var c = new NodeProto { OpType = "Constant", Name = $"{empty}/Constant" };
                        c.Output.Add(empty);
                        c.Attribute.Add(new AttributeProto { Name = "value",
                            Type = AttributeProto.Types.AttributeType.Tensor,
                            T = TensorProtos.FromFloats("", Array.Empty<float>(), 0) });
                        body.Node.Add(c);
                        body.Output.Add(ExtraOutputs.FloatOutput(empty));
                    }
            }
            foreach (var (name, tensor) in all)
            {
                string outer = $"{name}/{node.OpType.ToLowerInvariant()}_output";
                node.Output.Add(outer);
                result.Add((outer, tensor));
            }
            // Scan lists an axis and a direction per scan output when it lists them at all.
            if (node.OpType == "Scan")
                foreach (var a in node.Attribute.Where(a => a.Name is "scan_output_axes" or "scan_output_directions"))
                    a.Ints.AddRange(Enumerable.Repeat(0L, all.Count));
        }
        return result;
    }

    /// <summary>The min/max outputs a body adds for wanted tensors defined in it or in bodies nested in it.</summary>
    private static List<(string Name, string Tensor)> InBody(GraphProto body, IReadOnlySet<string> wanted)
    {
        var list = new List<(string, string)>();
        var defined = body.Node.SelectMany(n => n.Output).Concat(body.Input.Select(i => i.Name)).Where(wanted.Contains)
            .Distinct().ToList();
        foreach (var t in defined)
        {
            var (min, max) = AddMinMax(body, t);
            list.Add((min, t));
            list.Add((max, t));
        }
        list.AddRange(ExposeNested(body, wanted));
        return list;
    }

    /// <summary>Adds ReduceMin and ReduceMax of <paramref name="tensor"/> (to scalars) to <paramref name="graph"/>
    /// and returns the names of the two scalars; they are not made outputs here.</summary>
    public static (string Min, string Max) AddMinMax(GraphProto graph, string tensor)
    {
        var names = new string[2];
        foreach (var (op, i) in new[] { ("ReduceMin", 0), ("ReduceMax", 1) })
        {
            string name = $"{tensor}/calibration_{op.Substring(6).ToLowerInvariant()}";
            var n = new NodeProto { OpType = op, Name = $"{name}/{op}" };
            n.Input.Add(tensor); n.Output.Add(name);
            n.Attribute.Add(GraphBuilder.Attr("keepdims", 0L));
            graph.Node.Add(n);
            names[i] = name;
        }
        return (names[0], names[1]);
    }
}
