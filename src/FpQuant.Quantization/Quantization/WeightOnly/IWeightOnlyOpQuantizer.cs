using Onnx;

namespace FpQuant.Quantization.WeightOnly;

/// <summary>How one kind of op stores its constant weight as integers (compute stays float).</summary>
internal interface IWeightOnlyOpQuantizer
{
    /// <summary>Emits the node reading a dequantized integer weight; false leaves it unchanged.</summary>
    bool TryEmit(NodeProto node, RewriteContext ctx);
}
