using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Fp16;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization;

/// <summary>
/// Converts a float32 model to float16: initializers, constants and compute in half precision, float32 inputs and
/// outputs kept (Casts at the edges) when asked, and block-listed op types or excluded nodes kept in float32
/// between Casts. Each node goes to its op's converter (<see cref="Fp16OpConverters"/>). Values beyond 65504
/// saturate to +-65504 instead of becoming infinite.
/// </summary>
public static class Fp16Converter
{
    public static ModelProto Convert(ModelProto model, QuantizationOptions o) => ConvertWithNodes(model, o).Model;

    /// <summary>The converted model and the names of the nodes that now compute in float16.</summary>
    public static (ModelProto Model, List<string> ConvertedNodes) ConvertWithNodes(ModelProto model, QuantizationOptions o)
    {
        var rw = new Fp16Rewrite(model, o);
        var block = new HashSet<string>(o.Fp16BlockOps, StringComparer.Ordinal);
        var selector = new NodeSelector(o.Include, o.Exclude);
        var converted = new List<string>();
        foreach (var node in model.Graph.Node)
        {
            if (node.Attribute.Any(a => a.G != null || a.Graphs.Count > 0))
                throw new FpQuantException($"fp16: node '{node.Name}' ({node.OpType}) holds a subgraph, which fp16 conversion does not handle; keep it float32 by converting without it or quantize with another mode");
            var converter = block.Contains(node.OpType) || !selector.Selects(node.Name) ? Fp16OpConverters.KeptFloat : Fp16OpConverters.For(node.OpType);
            if (converter.Convert(node, rw)) converted.Add(node.Name);
        }
        foreach (var (orig, internalName) in rw.OutputRename)
        {
            var c = new NodeProto { OpType = "Cast", Name = $"{orig}/Cast_to_float32" };
            c.Input.Add(internalName); c.Output.Add(orig);
            c.Attribute.Add(GraphBuilder.Attr("to", (long)DataType.Float));
            rw.Nodes.Add(c);
        }
        var result = model.Clone();
        var g = result.Graph;
        if (!o.Fp16KeepIoTypes)
        {
            foreach (var i in g.Input.Where(i => i.Type?.TensorType?.ElemType == (int)DataType.Float && !rw.Index.IsInitializer(i.Name)))
                i.Type.TensorType.ElemType = (int)DataType.Float16;
            foreach (var out_ in g.Output.Where(x => x.Type?.TensorType?.ElemType == (int)DataType.Float)) out_.Type.TensorType.ElemType = (int)DataType.Float16;
        }
        g.Node.Clear();
        g.Node.AddRange(rw.Nodes);
        g.Initializer.AddRange(rw.HalfInitializers);
        // Float32 initializers that no node reads any more are dropped.
        var graphOutputs = new HashSet<string>(g.Output.Select(x => x.Name), StringComparer.Ordinal);
        var read = new HashSet<string>(rw.Nodes.SelectMany(n => n.Input), StringComparer.Ordinal);
        var kept = g.Initializer.Where(i => read.Contains(i.Name) || graphOutputs.Contains(i.Name)).ToList();
        g.Initializer.Clear();
        g.Initializer.AddRange(kept);
        g.ValueInfo.Clear();
        return (result, converted);
    }
}
