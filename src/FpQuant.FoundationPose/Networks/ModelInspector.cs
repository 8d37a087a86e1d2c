using System.Globalization;
using FpQuant.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Networks;

internal static class ModelInspector
{
    public static ModelInspection Inspect(string path)
    {
        var m = OnnxModelFile.Load(path);
        var g = m.Graph;
        var inits = new HashSet<string>(g.Initializer.Select(i => i.Name));
        string Describe(ValueInfoProto v)
        {
            var t = v.Type?.TensorType;
            string type = t == null ? "?" : ((DataType)t.ElemType).ToString().ToLowerInvariant();
            string dims = t?.Shape == null ? "?"
                : string.Join(" x ",
                    t.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p
                        : d.DimValue.ToString(CultureInfo.InvariantCulture)));
            return $"{v.Name}: {type} [{dims}]";
        }
        string network;
        try
        {
            var sig = ModelSignature.Of(m, path);
            network = $"{sig.Kind.ToString()} " +
                $"({(sig.Kind == Networks.NetworkKind.Refine ? "RefineNet" : "ScoreNetMultiPair")} interface), " +
                $"layout {(sig.Layout == Networks.ModelLayout.Nchw ? "NCHW" : "NHWC (Isaac ROS)")}, rendered input " +
                $"'{sig.RenderedInput}', observed input '{sig.ObservedInput}'";
        }
        catch (Core.FpQuantException e)
        {
            network = $"not recognised as a FoundationPose network ({e.Message})";
        }
        var ops = g.Node.GroupBy(n => string.IsNullOrEmpty(n.Domain) ? n.OpType : $"{n.Domain}:{n.OpType}")
            .ToDictionary(x => x.Key, x => x.Count());
        var existing = Quantization.ExistingQuantization.Of(m);
        string quant = existing.IsNone ? "no (float32)" : "yes: " + existing.Describe();
        var bytes = g.Initializer.GroupBy(i => ((DataType)i.DataType).ToString().ToLowerInvariant())
            .ToDictionary(x => x.Key, x => x.Sum(TensorProtos.StoredBytes));
        return new ModelInspection(path, new FileInfo(path).Length, $"{m.ProducerName} {m.ProducerVersion}".Trim(),
            m.IrVersion,
            // One entry per domain (OnnxModelFile.Load refuses duplicated domains).
            m.OpsetImport.ToDictionary(o => o.Domain ?? "", o => o.Version),
            g.Input.Where(i => !inits.Contains(i.Name)).Select(Describe).ToList(),
            g.Output.Select(Describe).ToList(), network, ops, quant, bytes,
            // The format does not forbid a metadata key twice; the last one is shown.
            m.MetadataProps.GroupBy(p => p.Key).ToDictionary(x => x.Key, x => x.Last().Value))
        {
            SubgraphOps =
                new SortedDictionary<int, Dictionary<string, int>>(Subgraphs.AllNodes(g).Where(n => n.Depth > 0)
                .GroupBy(n => n.Depth)
                .ToDictionary(d => d.Key,
                    d => d.GroupBy(n => string.IsNullOrEmpty(n.Node.Domain) ? n.Node.OpType
                        : $"{n.Node.Domain}:{n.Node.OpType}").ToDictionary(x => x.Key, x => x.Count()))),
        };
    }
}
