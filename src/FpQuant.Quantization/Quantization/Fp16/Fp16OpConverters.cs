using Onnx;

namespace FpQuant.Quantization.Fp16;

/// <summary>The float16 converters by op type (the default: <see cref="HalfPrecisionConverter"/>); a new special
/// case is one converter class and one entry here.</summary>
internal static class Fp16OpConverters
{
    private static readonly HalfPrecisionConverter Default = new();
    private static readonly HalfPrecisionConverter NonFloatOutputs = new(producesFloat: false);
    private static readonly ConstantConverter Constants = new();
    private static readonly KeptFloatConverter Kept = new();

    private static readonly Dictionary<string, IFp16OpConverter> Converters = new(StringComparer.Ordinal)
    {
        ["Constant"] = Constants,
        ["ConstantOfShape"] = Constants,
        ["Cast"] = new CastConverter(),
        // Resize's roi and scales and Upsample's scales are tensor(float) in the ONNX type constraints.
        ["Resize"] = new HalfPrecisionConverter(new[] { 1, 2 }),
        ["Upsample"] = new HalfPrecisionConverter(new[] { 1 }),
        // Integer model ops take float32 scales at opset 13: leave them alone.
        ["DequantizeLinear"] = Kept,
        ["QuantizeLinear"] = Kept,
        ["DynamicQuantizeLinear"] = Kept,
        ["QLinearConv"] = Kept,
        ["QLinearMatMul"] = Kept,
        ["Shape"] = NonFloatOutputs, ["Size"] = NonFloatOutputs, ["ArgMax"] = NonFloatOutputs,
        ["ArgMin"] = NonFloatOutputs,
        ["NonZero"] = NonFloatOutputs, ["Equal"] = NonFloatOutputs, ["Less"] = NonFloatOutputs,
        ["Greater"] = NonFloatOutputs,
        ["LessOrEqual"] = NonFloatOutputs, ["GreaterOrEqual"] = NonFloatOutputs, ["IsNaN"] = NonFloatOutputs,
        ["IsInf"] = NonFloatOutputs, ["MatMulInteger"] = NonFloatOutputs, ["ConvInteger"] = NonFloatOutputs,
    };

    /// <summary>Ops that must compute in float32 whatever the list says: no float16 in their ONNX type constraints at
    /// opset 13 (Range, IsInf), a function body ONNX Runtime expands with float32 constants
    /// (MeanVarianceNormalization), or no float16 CPU kernel for a reduction (ScatterND/ScatterElements with reduction
    /// add or mul); and ops on sequences and optionals, whose element types are not tensors' and so are not followed
    /// here.</summary>
    public static bool MustStayFloat32(NodeProto node) => node.OpType switch
    {
        "Range" or "IsInf" or "MeanVarianceNormalization" => true,
        var op when op.StartsWith("Sequence", StringComparison.Ordinal)
            || op.StartsWith("Optional", StringComparison.Ordinal)
            || op is "SplitToSequence" or "ConcatFromSequence" => true,
        "ScatterND"
            or "ScatterElements" =>
                (node.Attribute.FirstOrDefault(a => a.Name == "reduction")?.S.ToStringUtf8() ?? "none") != "none",
        _ => false,
    };

    /// <summary>How block-listed or excluded nodes are written: in float32.</summary>
    public static IFp16OpConverter KeptFloat => Kept;

    public static IFp16OpConverter For(string opType) => Converters.GetValueOrDefault(opType) ?? Default;

    /// <summary>Whether an op with float inputs produces float outputs.</summary>
    public static bool ProducesFloat(string opType) =>
        Converters.GetValueOrDefault(opType) is not HalfPrecisionConverter h || h.ProducesFloat;
}
