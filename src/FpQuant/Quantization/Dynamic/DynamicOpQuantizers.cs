namespace FpQuant.Quantization.Dynamic;

/// <summary>The dynamic handlers by op type; the default op list of dynamic quantization is this registry's keys.</summary>
public static class DynamicOpQuantizers
{
    private static readonly Dictionary<string, IDynamicOpQuantizer> Handlers = new(StringComparer.Ordinal)
    {
        ["Conv"] = new DynamicConvQuantizer(),
        ["MatMul"] = new DynamicMatMulQuantizer(),
        ["Gemm"] = new DynamicGemmQuantizer(),
        ["Gather"] = new DynamicGatherQuantizer(),
    };

    public static readonly IReadOnlyList<string> Supported = Array.AsReadOnly(Handlers.Keys.ToArray());

    public static IDynamicOpQuantizer? For(string opType) => Handlers.GetValueOrDefault(opType);
}
