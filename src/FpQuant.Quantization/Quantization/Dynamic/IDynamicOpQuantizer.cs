using Onnx;

namespace FpQuant.Quantization.Dynamic;

/// <summary>How one kind of op is quantized dynamically: weights stored as integers now, activations quantized by
/// DynamicQuantizeLinear on every run.</summary>
internal interface IDynamicOpQuantizer
{
    /// <summary>Emits the integer form of the node; false leaves it float (the caller copies it unchanged).</summary>
    bool TryEmit(NodeProto node, DynamicRewrite rewrite);
}
