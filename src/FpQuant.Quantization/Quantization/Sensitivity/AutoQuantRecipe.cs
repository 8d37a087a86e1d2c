using System.Text.Json;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>One recipe from autoquant results on several models (FoundationPose's two networks): when they chose the
/// same base, that base with every model's float layers excluded and float tensors kept float (their node and tensor
/// names differ, so the unions are exact for each); null when they chose different bases, which one recipe cannot
/// express.</summary>
internal static class AutoQuantRecipe
{
    public static QuantizationOptions? Combine(IReadOnlyList<QuantizationOptions> chosen)
    {
        if (chosen.Count == 0) return null;
        string Base(QuantizationOptions o) =>
            JsonSerializer.Serialize(o with { Exclude = [], FloatTensors = [], ReduceRange = null },
                QuantizationPresets.Json);
        if (chosen.Select(Base).Distinct().Count() != 1) return null;
        return chosen[0] with { Exclude = chosen.SelectMany(o => o.Exclude).Distinct().ToList(),
            FloatTensors = chosen.SelectMany(o => o.FloatTensors).Distinct().ToList(), ReduceRange = null };
    }
}
