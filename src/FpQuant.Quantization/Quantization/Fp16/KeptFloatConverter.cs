using Onnx;

namespace FpQuant.Quantization.Fp16;

/// <summary>A node kept in float32 (block-listed op type, or excluded by name): float inputs are read in float32
/// (Cast back from float16 where needed) and its float outputs stay float32.</summary>
internal sealed class KeptFloatConverter : IFp16OpConverter
{
    public bool Convert(NodeProto node, Fp16Rewrite rw)
    {
        var n = node.Clone();
        bool anyFloat = false;
        for (int k = 0; k < n.Input.Count; k++)
        {
            if (!rw.IsFloat(n.Input[k])) continue;
            n.Input[k] = rw.Float32(n.Input[k]);
            anyFloat = true;
        }
        bool floatOut = node.OpType switch
        {
            "Cast" => GraphIndex.IntAttr(node, "to", 0) == (long)TensorProto.Types.DataType.Float,
            "Constant" or "ConstantOfShape" => ConstantConverter.HoldsFloat(node),
            _ => anyFloat && Fp16OpConverters.ProducesFloat(node.OpType),
        };
        // Where the source model's types are known, each output keeps its own (TopK's indices stay int64).
        foreach (var o in node.Output)
            if (o.Length > 0 && (rw.Types.TypeOf(o) is int t ? t == (int)TensorProto.Types.DataType.Float : floatOut))
                rw.DefineFloat32Output(o);
        rw.Nodes.Add(n);
        return false;
    }
}
