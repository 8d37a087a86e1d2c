using FpQuant.Core;
using FpQuant.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace FpQuant.Quantization.Preprocessing;

/// <summary>
/// Folds constants: a Constant node, and any default-domain node whose inputs are all constant, is computed once
/// and replaced by initializers. ONNX Runtime computes the values (a model of just the constant nodes, run once on
/// the CPU), so folding is exact by construction. Random ops, subgraphs, quantize/dequantize pairs and other
/// domains are left alone.
/// </summary>
internal static class ConstantFolding
{
    private static readonly HashSet<string> NeverFolded = new(StringComparer.Ordinal)
    {
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
    };

    public static ModelProto Fold(ModelProto model, string modelSource, List<string> notes)
    {
        var g = model.Graph;
        var constant = g.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var graphInputs =
            g.Input.Select(i => i.Name).Where(n => !constant.Contains(n)).ToHashSet(StringComparer.Ordinal);
        var folded = new List<NodeProto>();
        foreach (var n in g.Node)
        {
            bool foldable = n.Domain is "" or "ai.onnx" && !NeverFolded.Contains(n.OpType)
                && n.Attribute.All(a => a.G == null && a.Graphs.Count == 0)
                && n.Input.All(i => i.Length == 0 || (constant.Contains(i) && !graphInputs.Contains(i)));
            if (!foldable) continue;
            folded.Add(n);
            foreach (var o in n.Output) if (o.Length > 0) constant.Add(o);
        }
        if (folded.Count == 0) return model;
        var foldedSet = folded.ToHashSet();
        // The folded tensors something else still reads: those become initializers.
        var readByRest = g.Node.Where(n => !foldedSet.Contains(n)).SelectMany(n => n.Input)
            .Concat(g.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        var frontier =
            folded.SelectMany(n => n.Output).Where(o => o.Length > 0 && readByRest.Contains(o)).Distinct().ToList();
        var values = frontier.Count == 0 ? new Dictionary<string, TensorProto>()
            : Evaluate(model, folded, frontier, modelSource);
        if (values.Count != frontier.Count)
        {
            notes.Add(
                $"left {folded.Count} constant node(s) unfolded: some of their values have a type folding does not " +
                $"store");
            return model;
        }
        var m = model.Clone();
        var mg = m.Graph;
        var keep = mg.Node.Where(n => !folded.Any(f => f.Name == n.Name && f.Output.SequenceEqual(n.Output))).ToList();
        mg.Node.Clear();
        mg.Node.AddRange(keep);
        foreach (var name in frontier) mg.Initializer.Add(values[name]);
        // Initializers only the folded nodes read are gone with them.
        UnreadInitializers.Drop(mg);
        notes.Add($"folded {folded.Count} constant node(s) into {frontier.Count} initializer(s)");
        return m;
    }

    private static Dictionary<string, TensorProto> Evaluate(ModelProto model, List<NodeProto> nodes,
        List<string> outputs, string modelSource)
    {
        var sub =
            new ModelProto { IrVersion = Math.Max(model.IrVersion, 7), Graph = new GraphProto { Name = "constants" } };
        sub.OpsetImport.AddRange(model.OpsetImport.Select(o => o.Clone()));
        var needed = nodes.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        sub.Graph.Initializer.AddRange(model.Graph.Initializer.Where(i => needed.Contains(i.Name))
            .Select(i => i.Clone()));
        sub.Graph.Node.AddRange(nodes.Select(n => n.Clone()));
        foreach (var o in outputs) sub.Graph.Output.Add(new ValueInfoProto { Name = o });
        var result = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        InferenceSession session;
        try { session = new InferenceSession(sub.ToByteArray(), options); }
        catch (OnnxRuntimeException e) { throw new FpQuantException($"{modelSource}: ONNX Runtime cannot evaluate " +
            $"the model's constant nodes for folding: {e.Message}", e); }
        using (session)
        {
            using var ro = new RunOptions();
            using var values = session.Run(ro, Array.Empty<string>(), Array.Empty<OrtValue>(), outputs);
            for (int i = 0; i < outputs.Count; i++)
            {
                if (!values[i].IsTensor) continue; // a sequence or optional value: no initializer can hold it
                var info = values[i].GetTensorTypeAndShape();
                var dims = info.Shape;
                TensorProto? t = info.ElementDataType switch
                {
                    TensorElementType.Float =>
                        TensorProtos.FromFloats(outputs[i], values[i].GetTensorDataAsSpan<float>(), dims),
                    TensorElementType.Int64 =>
                        TensorProtos.FromInt64(outputs[i], values[i].GetTensorDataAsSpan<long>(), dims),
                    TensorElementType.Int32 =>
                        TensorProtos.FromInt32(outputs[i], values[i].GetTensorDataAsSpan<int>(), dims),
                    _ => null,
                };
                if (t != null) result[outputs[i]] = t;
            }
        }
        return result;
    }
}
