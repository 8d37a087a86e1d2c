using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Networks;

/// <summary>
/// Cuts a ScoreNetMultiPair graph in two (spec section 5): the per-pair part (encoders, attention over each pair's
/// tokens, token mean -> one vector per pair) and the cross part (attention across the hypotheses and the head).
/// The per-pair part sees each pair on its own, so it can run in chunks; the cross part runs once over all vectors.
/// <para>The cut is found by structure, never by name: the output of the last ReduceMean over axis 1 (the token
/// mean) that every path from the inputs to the output passes through and that has a Softmax (the cross attention)
/// after it. That holds for our exports, for every quantized copy of them (Q/DQ pairs, dynamic quantization and fp16
/// casts keep the token mean) and for Isaac ROS's score_model.onnx, whose torch export spells the mean the same
/// way.</para>
/// </summary>
internal static class ScoreNetSplit
{
    public sealed record Parts(ModelProto PerPair, ModelProto Cross, string CutTensor);

    /// <param name="source">Names the model in errors.</param>
    public static Parts Split(ModelProto model, string source)
    {
        var g = model.Graph;
        var index = new GraphIndex(g);
        if (g.Output.Count != 1)
            throw new FpQuantException(
                $"{source}: a score model has one output, this has {g.Output.Count}; pass a ScoreNet model");
        string output = g.Output[0].Name;
        var dynamic = DynamicTensors(g, index);
        string? cut = null;
        var nodes = g.Node.ToList();
        for (int i = nodes.Count - 1; i >= 0 && cut == null; i--)
        {
            var n = nodes[i];
            if (n.OpType != "ReduceMean" || !IsDefaultDomain(n) || n.Output.Count != 1
                || !dynamic.Contains(n.Output[0])) continue;
            if (!ReducesTokenAxis(n, index)) continue;
            string x = n.Output[0];
            if (Dominates(x, output, index, dynamic) && SoftmaxBetween(x, output, index)) cut = x;
        }
        if (cut == null)
            throw new FpQuantException($"{source}: cannot find where ScoreNet pools each pair to one vector (a " +
                $"ReduceMean over the tokens that every path to the output passes, followed by the cross attention); " +
                "this model cannot be scored in chunks: set MaxMemoryBytes to 0 to score all hypotheses as one group");
        var crossNodes = Upstream(output, cut, index);
        var pairNodes = Upstream(cut, null, index);
        var type = ElementType(cut, g, index);

        // The parts meet in float32: a cut of another type (an fp16 copy) is cast there and back, which is exact.
        string joint = cut;
        if (type != DataType.Float)
        {
            joint = $"{cut}/as_float32";
            pairNodes.Add(CastNode(cut, joint, DataType.Float));
            crossNodes.Insert(0, CastNode(joint, cut, type));
        }
        var perPair = Subgraph(model, pairNodes, g.Input.Where(vi => index.GraphInputs.Contains(vi.Name)),
            new[] { Value(joint, DataType.Float) }, "per-pair");
        var cross = Subgraph(model, crossNodes, new[] { Value(joint, DataType.Float) }, g.Output, "cross");
        return new Parts(perPair, cross, cut);
    }

    private static bool IsDefaultDomain(NodeProto n) => string.IsNullOrEmpty(n.Domain) || n.Domain == "ai.onnx";

    /// <summary>Tensors that depend on a graph input; constants (initializers, Constant nodes and what is computed
    /// from them alone) are not.</summary>
    private static HashSet<string> DynamicTensors(GraphProto g, GraphIndex index)
    {
        var dyn = new HashSet<string>(index.GraphInputs, StringComparer.Ordinal);
        foreach (var n in g.Node)
            if (n.Input.Any(i => i.Length > 0 && dyn.Contains(i)))
                foreach (var o in n.Output) if (o.Length > 0) dyn.Add(o);
        return dyn;
    }

    /// <summary>
    /// A mean over axis 1 only (of N x tokens x channels), from the attribute (opset &lt; 18) or a constant input.
    /// </summary>
    private static bool ReducesTokenAxis(NodeProto n, GraphIndex index)
    {
        long[]? axes = n.Attribute.FirstOrDefault(a => a.Name == "axes")?.Ints.ToArray();
        if (axes == null && n.Input.Count > 1 && n.Input[1].Length > 0) axes = ConstantInt64(n.Input[1], index);
        return axes is { Length: 1 } && (axes[0] == 1 || axes[0] == -2);
    }

    private static long[]? ConstantInt64(string name, GraphIndex index)
    {
        if (index.Initializers.TryGetValue(name, out var t)) return TensorProtos.ToInt64(t);
        if (index.Producer.TryGetValue(name, out var p) && p.OpType == "Constant")
        {
            var v = p.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
            if (v != null) return TensorProtos.ToInt64(v);
            var ints = p.Attribute.FirstOrDefault(a => a.Name == "value_ints");
            if (ints != null) return ints.Ints.ToArray();
        }
        return null;
    }

    /// <summary>
    /// Every dynamic path from a graph input to <paramref name="output"/> passes through <paramref name="x"/>.
    /// </summary>
    private static bool Dominates(string x, string output, GraphIndex index, HashSet<string> dynamic)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push(output);
        while (stack.Count > 0)
        {
            string t = stack.Pop();
            if (t == x || !seen.Add(t)) continue;
            if (index.GraphInputs.Contains(t)) return false;
            if (!index.Producer.TryGetValue(t, out var p)) continue;
            foreach (var i in p.Input)
                if (i.Length > 0 && dynamic.Contains(i)) stack.Push(i);
        }
        return true;
    }

    private static bool SoftmaxBetween(string x, string output, GraphIndex index) =>
        Upstream(output, x, index).Any(n => n.OpType == "Softmax");

    /// <summary>
    /// The nodes that <paramref name="target"/> needs, not looking past <paramref name="stop"/>, in graph order.
    /// </summary>
    private static List<NodeProto> Upstream(string target, string? stop, GraphIndex index)
    {
        var need = new HashSet<NodeProto>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push(target);
        while (stack.Count > 0)
        {
            string t = stack.Pop();
            if (!seen.Add(t) || t == stop) continue;
            if (!index.Producer.TryGetValue(t, out var p) || !need.Add(p)) continue;
            foreach (var i in p.Input) if (i.Length > 0) stack.Push(i);
            // A subgraph (If, Loop) may read outer tensors: keep the producers of what its nodes read.
            foreach (var a in p.Attribute)
                foreach (var sg in a.G != null ? new[] { a.G } : a.Graphs.ToArray())
                    foreach (var sn in sg.Node)
                        foreach (var i in sn.Input) if (i.Length > 0) stack.Push(i);
        }
        return index.Graph.Node.Where(need.Contains).ToList();
    }

    /// <summary>
    /// The cut's element type: declared in value_info, or followed back through the ops that keep it.
    /// </summary>
    private static DataType ElementType(string t, GraphProto g, GraphIndex index)
    {
        for (int guard = 0; guard < 10000; guard++)
        {
            var vi = g.ValueInfo.Concat(g.Input).Concat(g.Output).FirstOrDefault(v => v.Name == t);
            if (vi?.Type?.TensorType is { ElemType: > 0 } tt) return (DataType)tt.ElemType;
            if (index.Initializers.TryGetValue(t, out var init)) return (DataType)init.DataType;
            if (!index.Producer.TryGetValue(t, out var p)) break;
            switch (p.OpType)
            {
                case "Cast": return (DataType)GraphIndex.IntAttr(p, "to", (long)DataType.Float);
                case "DequantizeLinear": t = p.Input[1]; break;  // the scale's type
                case "QuantizeLinear":
                    if (p.Input.Count > 2 && p.Input[2].Length > 0) t = p.Input[2];
                    else return DataType.Uint8;
                    break;
                default: t = p.Input[0]; break;
            }
        }
        return DataType.Float;
    }

    private static NodeProto CastNode(string input, string output, DataType to)
    {
        var n = new NodeProto { OpType = "Cast", Name = output + "/cast" };
        n.Input.Add(input);
        n.Output.Add(output);
        n.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int,
            I = (long)to });
        return n;
    }

    private static ValueInfoProto Value(string name, DataType type) =>
        new() { Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } } };

    private static ModelProto Subgraph(ModelProto model, List<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs,
        IEnumerable<ValueInfoProto> outputs, string part)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            foreach (var i in n.Input) used.Add(i);
            foreach (var a in n.Attribute)
                foreach (var sg in a.G != null ? new[] { a.G } : a.Graphs.ToArray())
                    foreach (var sn in sg.Node) foreach (var i in sn.Input) used.Add(i);
        }
        var g = model.Graph;
        var graph = new GraphProto { Name = $"{g.Name}/{part}", DocString = g.DocString };
        graph.Node.AddRange(nodes.Select(n => n.Clone()));
        graph.Input.AddRange(inputs.Select(v => v.Clone()));
        graph.Output.AddRange(outputs.Select(v => v.Clone()));
        graph.Initializer.AddRange(g.Initializer.Where(i => used.Contains(i.Name)).Select(i => i.Clone()));
        var produced = new HashSet<string>(nodes.SelectMany(n => n.Output), StringComparer.Ordinal);
        graph.ValueInfo.AddRange(g.ValueInfo.Where(v => produced.Contains(v.Name)
            && !graph.Output.Any(o => o.Name == v.Name)).Select(v => v.Clone()));
        var m = new ModelProto
        {
            IrVersion = model.IrVersion, ProducerName = model.ProducerName, ProducerVersion = model.ProducerVersion,
            Domain = model.Domain, ModelVersion = model.ModelVersion, DocString = model.DocString, Graph = graph,
        };
        m.OpsetImport.AddRange(model.OpsetImport.Select(o => o.Clone()));
        m.MetadataProps.AddRange(model.MetadataProps.Select(p => p.Clone()));
        m.MetadataProps.Add(new StringStringEntryProto { Key = "fpquant.score_part", Value = part });
        m.Functions.AddRange(model.Functions.Select(f => f.Clone()));
        return m;
    }
}
