using FpQuant.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization;

/// <summary>
/// Converts a float32 model to float16: initializers and compute in half precision, float32 inputs and outputs kept
/// (Casts at the edges) when asked, and block-listed op types kept in float32 between Casts. Values beyond
/// 65504 saturate to +-65504 instead of becoming infinite.
/// </summary>
public static class Fp16Converter
{
    /// <summary>Ops whose outputs are never float, whatever their inputs.</summary>
    private static readonly HashSet<string> NonFloatOutputs = new(StringComparer.Ordinal)
    {
        "Shape", "Size", "ArgMax", "ArgMin", "NonZero", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
        "Not", "And", "Or", "Xor", "IsNaN", "IsInf", "QuantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger",
    };

    public static ModelProto Convert(ModelProto model, QuantizationOptions o)
    {
        var result = model.Clone();
        var g = result.Graph;
        var block = new HashSet<string>(o.Fp16BlockOps, StringComparer.Ordinal);
        var selector = new NodeSelector(o.Include, o.Exclude);
        var index = new GraphIndex(model.Graph);
        var floatTensors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in model.Graph.Input) if (i.Type?.TensorType?.ElemType == (int)DataType.Float) floatTensors.Add(i.Name);
        foreach (var i in model.Graph.Initializer) if (i.DataType == (int)DataType.Float) floatTensors.Add(i.Name);

        bool KeptFloat(NodeProto n) => block.Contains(n.OpType) || !selector.Selects(n.Name);
        // Initializers read by a half-precision node get a float16 copy; float32 stays where only kept nodes read it.
        var halfInits = new Dictionary<string, string>(StringComparer.Ordinal);
        var nodes = new List<NodeProto>();
        var castCache = new Dictionary<(string, DataType), string>();
        string CastTo(string t, DataType to)
        {
            if (castCache.TryGetValue((t, to), out var c)) return c;
            c = $"{t}/{(to == DataType.Float16 ? "fp16" : "fp32")}";
            var n = new NodeProto { OpType = "Cast", Name = $"{c}/Cast" };
            n.Input.Add(t); n.Output.Add(c);
            n.Attribute.Add(GraphBuilder.Attr("to", (long)to));
            nodes.Add(n);
            castCache[(t, to)] = c;
            return c;
        }
        // Name of the half-precision version of tensor t (for graph inputs: a Cast when keeping io types).
        var halfName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var i in model.Graph.Input.Where(i => floatTensors.Contains(i.Name) && !index.IsInitializer(i.Name)))
        {
            if (o.Fp16KeepIoTypes) halfName[i.Name] = CastTo(i.Name, DataType.Float16);
            else { halfName[i.Name] = i.Name; g.Input.First(x => x.Name == i.Name).Type.TensorType.ElemType = (int)DataType.Float16; }
        }
        // Tensors available in float32 under their own name: initializers, kept-io graph inputs, kept nodes' outputs.
        var fp32 = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        if (o.Fp16KeepIoTypes) foreach (var i in index.GraphInputs) fp32.Add(i);
        string Half(string t)
        {
            if (halfName.TryGetValue(t, out var h)) return h;
            if (index.Initializers.TryGetValue(t, out var init) && init.DataType == (int)DataType.Float)
            {
                if (!halfInits.TryGetValue(t, out var hn))
                {
                    hn = $"{t}/fp16";
                    var vals = TensorProtos.ToFloats(init).Select(v => (Half)Math.Clamp(v, -65504f, 65504f)).ToArray();
                    g.Initializer.Add(TensorProtos.FromHalf(hn, vals, init.Dims.ToArray()));
                    halfInits[t] = hn;
                }
                return hn;
            }
            if (fp32.Contains(t)) return halfName[t] = CastTo(t, DataType.Float16);
            return t;
        }
        string Fp32(string t) => fp32.Contains(t) ? t : CastTo(Half(t), DataType.Float);
        var graphOutputs = new HashSet<string>(model.Graph.Output.Select(x => x.Name), StringComparer.Ordinal);
        var outputRename = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Node)
        {
            var n = node.Clone();
            bool keep = KeptFloat(node);
            for (int k = 0; k < n.Input.Count; k++)
            {
                string i = n.Input[k];
                if (i.Length == 0 || !floatTensors.Contains(i)) continue;
                n.Input[k] = keep ? Fp32(i) : Half(i);
            }
            if (n.OpType == "Cast" && !keep)
                foreach (var a in n.Attribute.Where(a => a.Name == "to" && a.I == (long)DataType.Float)) a.I = (long)DataType.Float16;
            bool floatOut = !NonFloatOutputs.Contains(node.OpType) && (node.OpType != "Cast" || GraphIndex.IntAttr(node, "to", 0) == (long)DataType.Float);
            if (floatOut)
                for (int k = 0; k < n.Output.Count; k++)
                {
                    string out_ = node.Output[k];
                    floatTensors.Add(out_);
                    if (keep) fp32.Add(out_);
                    else if (graphOutputs.Contains(out_) && o.Fp16KeepIoTypes)
                    {
                        string internalName = $"{out_}/fp16";
                        n.Output[k] = internalName;
                        halfName[out_] = internalName;
                        outputRename[out_] = internalName;
                    }
                    else halfName[out_] = out_;
                }
            nodes.Add(n);
        }
        foreach (var (orig, internalName) in outputRename)
        {
            var c = new NodeProto { OpType = "Cast", Name = $"{orig}/Cast_to_float32" };
            c.Input.Add(internalName); c.Output.Add(orig);
            c.Attribute.Add(GraphBuilder.Attr("to", (long)DataType.Float));
            nodes.Add(c);
        }
        if (!o.Fp16KeepIoTypes)
            foreach (var out_ in g.Output.Where(x => x.Type?.TensorType?.ElemType == (int)DataType.Float)) out_.Type.TensorType.ElemType = (int)DataType.Float16;
        g.Node.Clear();
        g.Node.AddRange(nodes);
        // Float32 initializers that no node reads any more are dropped.
        var read = new HashSet<string>(nodes.SelectMany(n => n.Input), StringComparer.Ordinal);
        var kept = g.Initializer.Where(i => read.Contains(i.Name) || graphOutputs.Contains(i.Name)).ToList();
        g.Initializer.Clear();
        g.Initializer.AddRange(kept);
        g.ValueInfo.Clear();
        return result;
    }
}
