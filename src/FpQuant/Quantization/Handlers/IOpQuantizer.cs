using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>
/// How one kind of op is quantized statically: what it marks for quantization when planned, and what it emits in
/// QDQ form (float op between DequantizeLinear and QuantizeLinear, for ONNX Runtime to fuse) and in QOperator
/// form (the integer op itself).
/// </summary>
public interface IOpQuantizer
{
    /// <summary>Marks the node's tensors for quantization; false leaves the node float.</summary>
    bool Plan(NodeProto node, QuantizationPlan plan);
    void EmitQdq(NodeProto node, RewriteContext ctx);
    void EmitQOperator(NodeProto node, RewriteContext ctx);
}

public static class OpQuantizers
{
    private static readonly Dictionary<string, IOpQuantizer> Handlers = new(StringComparer.Ordinal)
    {
        ["Conv"] = new ConvQuantizer(),
        ["MatMul"] = new MatMulQuantizer(),
        ["Gemm"] = new GemmQuantizer(),
        ["Add"] = new BinaryQuantizer("QLinearAdd"),
        ["Mul"] = new BinaryQuantizer("QLinearMul"),
        ["Softmax"] = new SoftmaxQuantizer(),
        ["Concat"] = new ConcatQuantizer(),
        ["Relu"] = new ReluQuantizer(),
        ["Reshape"] = new DataMovementQuantizer(),
        ["Transpose"] = new DataMovementQuantizer(),
        ["Squeeze"] = new DataMovementQuantizer(),
        ["Unsqueeze"] = new DataMovementQuantizer(),
        ["Flatten"] = new DataMovementQuantizer(),
        ["Split"] = new DataMovementQuantizer(),
        ["MaxPool"] = new DataMovementQuantizer(),
    };

    public static IOpQuantizer? For(string opType) => Handlers.GetValueOrDefault(opType);
    public static IReadOnlyCollection<string> Supported => Handlers.Keys;

    /// <summary>Per-channel axis of a weight, or null for per-tensor.</summary>
    public static int? Axis(bool perChannel, int axis) => perChannel ? axis : null;
}
