using Onnx;

namespace FpQuant.Quantization.WeightOnly;

/// <summary>A compute op with a constant weight (see <see cref="OpTraits"/>) reads its weight through
/// DequantizeLinear of an integer copy, per output channel when asked.</summary>
internal sealed class DequantizedWeightQuantizer : IWeightOnlyOpQuantizer
{
    public bool TryEmit(NodeProto node, RewriteContext ctx)
    {
        if (!OpTraits.HasConstantWeight(node, ctx.Index)) return false;
        var inputs = node.Input.ToList();
        inputs[OpTraits.WeightInput] = ctx.WeightDequantized(node.Input[OpTraits.WeightInput],
            OpTraits.WeightAxis(node, ctx.Index, ctx.Options.PerChannel));
        ctx.EmitCopy(node, inputs);
        return true;
    }
}
