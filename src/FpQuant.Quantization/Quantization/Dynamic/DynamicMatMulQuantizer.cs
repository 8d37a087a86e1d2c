using Onnx;

namespace FpQuant.Quantization.Dynamic;

/// <summary>MatMul with a constant B -> MatMulInteger -> Cast -> Mul (ONNX Runtime fuses this into
/// DynamicQuantizeMatMul).</summary>
internal sealed class DynamicMatMulQuantizer : IDynamicOpQuantizer
{
    public bool TryEmit(NodeProto node, DynamicRewrite rw)
    {
        if (!OpTraits.HasConstantWeight(node, rw.Index) || rw.Index.IsInitializer(node.Input[0])) return false;
        var w = rw.Context.Weight(node.Input[1], OpTraits.WeightAxis(node, rw.Index, rw.Options.PerChannel));
        var x = rw.Activation(node.Input[0]);
        string acc = $"{node.Output[0]}/int32";
        rw.Context.Emit("MatMulInteger", node.Name, new[] { x.Name, w.Name, x.ZeroPoint, w.ZeroPoint }, new[] { acc });
        rw.Rescale(node, acc, x.Scale, w.Scale, node.Output[0]);
        return true;
    }
}
