namespace FpQuant.Quantization.WeightOnly;

/// <summary>The weights-only handlers by op type; the default op list of weights-only quantization is this
/// registry's keys.</summary>
internal static class WeightOnlyOpQuantizers
{
    private static readonly IWeightOnlyOpQuantizer DequantizedWeight = new DequantizedWeightQuantizer();

    private static readonly Dictionary<string, IWeightOnlyOpQuantizer> Handlers =
        OpTraits.WeightedComputeOps.Order(StringComparer.Ordinal)
            .ToDictionary(op => op, _ => DequantizedWeight, StringComparer.Ordinal)
            .Append(new KeyValuePair<string, IWeightOnlyOpQuantizer>("Gather", new EmbeddingWeightQuantizer()))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    public static readonly IReadOnlyList<string> Supported = Array.AsReadOnly(Handlers.Keys.ToArray());

    public static IWeightOnlyOpQuantizer? For(string opType) => Handlers.GetValueOrDefault(opType);
}
