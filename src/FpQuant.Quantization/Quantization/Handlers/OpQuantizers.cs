namespace FpQuant.Quantization.Handlers;

/// <summary>
/// The static handlers by op type: the one registration a new op handler needs. The default op list of static
/// quantization is this registry's keys.
/// </summary>
internal static class OpQuantizers
{
    private static readonly Dictionary<string, IOpQuantizer> Handlers = new(StringComparer.Ordinal)
    {
        ["Conv"] = new ConvQuantizer(),
        ["MatMul"] = new MatMulQuantizer(),
        ["Gemm"] = new GemmQuantizer(),
        ["ConvTranspose"] = new ConvTransposeQuantizer(),
        ["Gather"] = new GatherQuantizer(),
        ["Add"] = new BinaryQuantizer("QLinearAdd"),
        ["Mul"] = new BinaryQuantizer("QLinearMul"),
        ["Relu"] = new ReluQuantizer(),
        ["Softmax"] = new SoftmaxQuantizer(),
        ["Concat"] = new ConcatQuantizer(),
        ["Split"] = new DataMovementQuantizer(),
        ["Reshape"] = new DataMovementQuantizer(),
        ["Transpose"] = new DataMovementQuantizer(),
        ["Squeeze"] = new DataMovementQuantizer(),
        ["Unsqueeze"] = new DataMovementQuantizer(),
        ["Flatten"] = new DataMovementQuantizer(),
        ["MaxPool"] = new DataMovementQuantizer(),
    };

    /// <summary>Every op type with a static handler, in registration order.</summary>
    public static readonly IReadOnlyList<string> Supported = Array.AsReadOnly(Handlers.Keys.ToArray());

    public static IOpQuantizer? For(string opType) => Handlers.GetValueOrDefault(opType);
}
