using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>
/// How one kind of op is quantized statically: what it marks for quantization when planned, and what it emits in
/// QDQ form (float op between DequantizeLinear and QuantizeLinear, for ONNX Runtime to fuse) and in QOperator
/// form (the integer op itself).
/// </summary>
internal interface IOpQuantizer
{
    /// <summary>Marks the node's tensors for quantization; false leaves the node float.</summary>
    bool Plan(NodeProto node, QuantizationPlan plan);
    void EmitQdq(NodeProto node, RewriteContext ctx);
    void EmitQOperator(NodeProto node, RewriteContext ctx);
}
