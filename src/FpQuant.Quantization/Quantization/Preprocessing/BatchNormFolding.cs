using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Quantization.Preprocessing;

/// <summary>
/// Folds an inference BatchNormalization into the Conv that feeds it: with s = scale / sqrt(var + epsilon) per
/// output channel, W' = W * s and B' = (B - mean) * s + bias. Only where the Conv's output goes to the
/// BatchNormalization alone, and every parameter is a constant.
/// </summary>
internal static class BatchNormFolding
{
    public static ModelProto Fold(ModelProto model, List<string> notes)
    {
        var index = new GraphIndex(model.Graph);
        var pairs = new List<(NodeProto Conv, NodeProto Bn)>();
        foreach (var bn in model.Graph.Node.Where(n => n.OpType == "BatchNormalization" && n.Domain is "" or "ai.onnx"))
        {
            if (bn.Output.Skip(1).Any(o => o.Length > 0) || bn.Input.Count < 5
                || !bn.Input.Skip(1).All(index.IsInitializer)) continue;
            // Before opset 9, spatial=0 normalised per activation, not per channel (a model kept at its own opset).
            if (GraphIndex.IntAttr(bn, "spatial", 1) == 0) continue;
            if (!index.Producer.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv"
                || conv.Domain is not ("" or "ai.onnx")) continue;
            if (!OpTraits.HasConstantWeight(conv, index) || index.ConsumersOf(conv.Output[0]).Count != 1
                || index.GraphOutputs.Contains(conv.Output[0])) continue;
            if (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !index.IsInitializer(conv.Input[2])) continue;
            // A weight shared with another node cannot take this node's scale.
            if (model.Graph.Node.Count(n => n.Input.Contains(conv.Input[1])) != 1) continue;
            pairs.Add((conv, bn));
        }
        if (pairs.Count == 0) return model;
        var m = model.Clone();
        var g = m.Graph;
        var inits = g.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var byName = g.Node.ToDictionary(n => n.Name + "\n" + string.Join(",", n.Output), StringComparer.Ordinal);
        var removed = new HashSet<NodeProto>();
        foreach (var (origConv, origBn) in pairs)
        {
            var conv = byName[origConv.Name + "\n" + string.Join(",", origConv.Output)];
            var bn = byName[origBn.Name + "\n" + string.Join(",", origBn.Output)];
            var w = inits[conv.Input[1]];
            var wv = TensorProtos.ToFloats(w);
            var scale = TensorProtos.ToFloats(inits[bn.Input[1]]);
            var shift = TensorProtos.ToFloats(inits[bn.Input[2]]);
            var mean = TensorProtos.ToFloats(inits[bn.Input[3]]);
            var variance = TensorProtos.ToFloats(inits[bn.Input[4]]);
            float eps = GraphIndex.FloatAttr(bn, "epsilon", 1e-5f);
            int channels = (int)w.Dims[0];
            var bias = conv.Input.Count > 2
                && conv.Input[2].Length > 0 ? TensorProtos.ToFloats(inits[conv.Input[2]]) : new float[channels];
            int per = wv.Length / channels;
            var nw = new float[wv.Length];
            var nb = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                double s = scale[c] / Math.Sqrt((double)variance[c] + eps);
                for (int k = 0; k < per; k++) nw[c * per + k] = (float)(wv[c * per + k] * s);
                nb[c] = (float)((bias[c] - mean[c]) * s + shift[c]);
            }
            string wName = $"{conv.Input[1]}/bn_folded", bName = $"{conv.Name}/bn_folded_bias";
            g.Initializer.Add(TensorProtos.FromFloats(wName, nw, w.Dims.ToArray()));
            g.Initializer.Add(TensorProtos.FromFloats(bName, nb, channels));
            conv.Input[1] = wName;
            if (conv.Input.Count > 2) conv.Input[2] = bName; else conv.Input.Add(bName);
            conv.Output[0] = bn.Output[0];
            removed.Add(bn);
        }
        var nodes = g.Node.Where(n => !removed.Contains(n)).ToList();
        g.Node.Clear();
        g.Node.AddRange(nodes);
        UnreadInitializers.Drop(g);
        g.ValueInfo.Clear();
        notes.Add($"folded {pairs.Count} BatchNormalization node(s) into the Conv before them");
        return m;
    }
}
