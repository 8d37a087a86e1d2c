using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization.Fp16;

/// <summary>Cast: a float operand is read in float16, and a cast to float32 becomes a cast to float16.</summary>
internal sealed class CastConverter : IFp16OpConverter
{
    public bool Convert(NodeProto node, Fp16Rewrite rw)
    {
        var n = node.Clone();
        bool changed = false;
        if (rw.IsFloat(n.Input[0])) { n.Input[0] = rw.Half(n.Input[0]); changed = true; }
        if (GraphIndex.IntAttr(node, "to", 0) == (long)DataType.Float)
        {
            n.Attribute.First(a => a.Name == "to").I = (long)DataType.Float16;
            n.Output[0] = rw.DefineHalfOutput(node.Output[0]);
            changed = true;
        }
        rw.Nodes.Add(n);
        return changed;
    }
}
