using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// The one place that says which ops are compute ops that can carry a constant weight, which input that weight is,
/// and its per-channel axis (the output-channel axis, one scale per output feature). Static, dynamic and
/// weights-only quantization, plans and sensitivity analysis all ask here.
/// </summary>
internal static class OpTraits
{
    /// <summary>Compute ops whose input 1 may be a constant weight.</summary>
    public static readonly IReadOnlySet<string> WeightedComputeOps =
        new HashSet<string>(StringComparer.Ordinal) { "Conv", "ConvTranspose", "MatMul", "Gemm" };

    public const int WeightInput = 1;

    public static bool IsWeightedCompute(string opType) => WeightedComputeOps.Contains(opType);

    /// <summary>A compute op whose weight input is an initializer.</summary>
    public static bool HasConstantWeight(NodeProto node, GraphIndex index) =>
        IsWeightedCompute(node.OpType) && node.Input.Count > WeightInput
            && index.IsInitializer(node.Input[WeightInput]);

    /// <summary>
    /// The weight's output-channel axis: Conv's W is M x C/g x kH x kW (axis 0); ConvTranspose's is C x M/g x kH x kW
    /// (axis 1, only ungrouped: grouped, axis 1 would share a scale between groups' channels); MatMul's B is K x N
    /// (axis 1, only for a 2-D B); Gemm's B is K x N, or N x K with transB (axis 0). Null where no per-channel form
    /// exists.
    /// </summary>
    public static int? WeightChannelAxis(NodeProto node, int weightRank) => node.OpType switch
    {
        "Conv" => 0,
        "ConvTranspose" => GraphIndex.IntAttr(node, "group", 1) == 1 ? 1 : null,
        "MatMul" => weightRank == 2 ? 1 : null,
        "Gemm" => GraphIndex.IntAttr(node, "transB", 0) != 0 ? 0 : 1,
        _ => null,
    };

    /// <summary>
    /// The axis to quantize a node's weight along: <see cref="WeightChannelAxis"/> when per-channel, else null.
    /// </summary>
    public static int? WeightAxis(NodeProto node, GraphIndex index, bool perChannel) =>
        perChannel ? WeightChannelAxis(node, index.Initializers[node.Input[WeightInput]].Dims.Count) : null;
}
