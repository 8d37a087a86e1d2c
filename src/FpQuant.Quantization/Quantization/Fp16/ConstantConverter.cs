using FpQuant.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization.Fp16;

/// <summary>
/// Constant and ConstantOfShape: a float value is stored as float16, so its consumers (e.g. LayerNorm's epsilon
/// Add) read the same type as their other operands. ConstantOfShape without a value fills float32 zeros by the
/// spec, so it gets an explicit float16 zero.
/// </summary>
internal sealed class ConstantConverter : IFp16OpConverter
{
    public bool Convert(NodeProto node, Fp16Rewrite rw)
    {
        var n = node.Clone();
        if (!HoldsFloat(node)) { rw.Nodes.Add(n); return false; }
        var value = n.Attribute.FirstOrDefault(a => a.Name is "value" or "value_float" or "value_floats");
        float[] values;
        long[] dims;
        if (value == null) { values = new[] { 0f }; dims = new long[] { 1 }; }
        else if (value.Name == "value") { values = TensorProtos.ToFloats(value.T); dims = value.T.Dims.ToArray(); }
        else if (value.Name == "value_float") { values = new[] { value.F }; dims = Array.Empty<long>(); }
        else { values = value.Floats.ToArray(); dims = new long[] { values.Length }; }
        if (value != null) n.Attribute.Remove(value);
        n.Attribute.Add(new AttributeProto
        {
            Name = "value", Type = AttributeProto.Types.AttributeType.Tensor,
            T = TensorProtos.FromHalf("", values.Select(Fp16Rewrite.ToHalf).ToArray(), dims),
        });
        n.Output[0] = rw.DefineHalfOutput(node.Output[0]);
        rw.Nodes.Add(n);
        return true;
    }

    /// <summary>Whether the node produces float32 values.</summary>
    public static bool HoldsFloat(NodeProto node)
    {
        var value =
            node.Attribute.FirstOrDefault(a => a.Name is "value" or "value_float" or "value_floats" or "sparse_value"
            or "value_int" or "value_ints" or "value_string" or "value_strings");
        if (node.OpType == "ConstantOfShape" && value == null) return true;
        return value?.Name switch
        {
            "value" => value.T.DataType == (int)DataType.Float,
            "value_float" or "value_floats" => true,
            _ => false,
        };
    }
}
