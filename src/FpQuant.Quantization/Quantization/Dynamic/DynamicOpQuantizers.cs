namespace FpQuant.Quantization.Dynamic;

/// <summary>The dynamic handlers by op type; the default op list of dynamic quantization is this registry's keys but
/// Gather, which is quantized when asked for (--op-types ... Gather): a per-tensor int8 embedding table costs a text
/// encoder such as MiniLM more than its dynamic layers leave to spare (held-out sentence cosine below 0.99).</summary>
internal static class DynamicOpQuantizers
{
    private static readonly Dictionary<string, IDynamicOpQuantizer> Handlers = new(StringComparer.Ordinal)
    {
        ["Conv"] = new DynamicConvQuantizer(),
        ["MatMul"] = new DynamicMatMulQuantizer(),
        ["Gemm"] = new DynamicGemmQuantizer(),
        ["Gather"] = new DynamicGatherQuantizer(),
    };

    /// <summary>The default op list of dynamic quantization.</summary>
    public static readonly IReadOnlyList<string> Supported =
        Array.AsReadOnly(Handlers.Keys.Where(k => k != "Gather").ToArray());

    public static IDynamicOpQuantizer? For(string opType) => Handlers.GetValueOrDefault(opType);
}
