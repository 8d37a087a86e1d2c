using FpQuant.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Networks;

public static class ModelInspector
{
    private static readonly HashSet<string> IntegerOps = new(StringComparer.Ordinal)
    {
        "QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul", "QLinearConcat", "QLinearSoftmax", "QGemm",
        "MatMulInteger", "ConvInteger", "DynamicQuantizeLinear", "DynamicQuantizeMatMul", "MatMulIntegerToFloat",
    };

    public static ModelInspection Inspect(string path)
    {
        var m = OnnxModelFile.Load(path);
        var g = m.Graph;
        var inits = new HashSet<string>(g.Initializer.Select(i => i.Name));
        string Describe(ValueInfoProto v)
        {
            var t = v.Type?.TensorType;
            string type = t == null ? "?" : ((DataType)t.ElemType).ToString().ToLowerInvariant();
            string dims = t?.Shape == null ? "?" : string.Join(" x ", t.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue.ToString()));
            return $"{v.Name}: {type} [{dims}]";
        }
        string network;
        try
        {
            var sig = ModelSignature.Of(m, path);
            network = $"{sig.Kind.ToString()} ({(sig.Kind == Networks.NetworkKind.Refine ? "RefineNet" : "ScoreNetMultiPair")} interface), layout {(sig.Layout == Networks.ModelLayout.Nchw ? "NCHW" : "NHWC (Isaac ROS)")}, rendered input '{sig.RenderedInput}', observed input '{sig.ObservedInput}'";
        }
        catch (Core.FpQuantException e)
        {
            network = $"not recognised as a FoundationPose network ({e.Message})";
        }
        var ops = g.Node.GroupBy(n => string.IsNullOrEmpty(n.Domain) ? n.OpType : $"{n.Domain}:{n.OpType}")
            .ToDictionary(x => x.Key, x => x.Count());
        int q = g.Node.Count(n => n.OpType == "QuantizeLinear"), dq = g.Node.Count(n => n.OpType == "DequantizeLinear");
        int integer = g.Node.Count(n => IntegerOps.Contains(n.OpType));
        bool fp16 = g.Initializer.Any(i => i.DataType == (int)DataType.Float16);
        var parts = new List<string>();
        if (integer > 0) parts.Add($"integer ops ({integer}: {string.Join(", ", g.Node.Where(n => IntegerOps.Contains(n.OpType)).GroupBy(n => n.OpType).Select(x => $"{x.Key} {x.Count()}"))})");
        if (q + dq > 0)
        {
            bool weightsOnly = q == 0 && g.Node.Where(n => n.OpType == "DequantizeLinear").All(n => n.Input.Count > 0 && inits.Contains(n.Input[0]));
            parts.Add(weightsOnly ? $"integer weights behind {dq} DequantizeLinear (weight-only)" : $"QDQ ({q} QuantizeLinear, {dq} DequantizeLinear)");
        }
        if (fp16) parts.Add("float16 initializers");
        string quant = parts.Count == 0 ? "no (float32)" : "yes: " + string.Join("; ", parts);
        var bytes = g.Initializer.GroupBy(i => ((DataType)i.DataType).ToString().ToLowerInvariant())
            .ToDictionary(x => x.Key, x => x.Sum(TensorProtos.StoredBytes));
        return new ModelInspection(path, new FileInfo(path).Length, $"{m.ProducerName} {m.ProducerVersion}".Trim(), m.IrVersion,
            // One entry per domain (OnnxModelFile.Load refuses duplicated domains).
            m.OpsetImport.ToDictionary(o => o.Domain ?? "", o => o.Version),
            g.Input.Where(i => !inits.Contains(i.Name)).Select(Describe).ToList(),
            g.Output.Select(Describe).ToList(), network, ops, quant, bytes,
            // The format does not forbid a metadata key twice; the last one is shown.
            m.MetadataProps.GroupBy(p => p.Key).ToDictionary(x => x.Key, x => x.Last().Value))
        {
            SubgraphOps = new SortedDictionary<int, Dictionary<string, int>>(Subgraphs.AllNodes(g).Where(n => n.Depth > 0)
                .GroupBy(n => n.Depth)
                .ToDictionary(d => d.Key, d => d.GroupBy(n => string.IsNullOrEmpty(n.Node.Domain) ? n.Node.OpType : $"{n.Node.Domain}:{n.Node.OpType}").ToDictionary(x => x.Key, x => x.Count()))),
        };
    }
}
