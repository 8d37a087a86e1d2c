namespace FpQuant.Quantization.Sensitivity;

/// <summary>One recipe from autoquant results on several models (FoundationPose's two networks): the base preset with
/// every model's float layers excluded. Their node names differ, so the union is exact for each.</summary>
public static class AutoQuantRecipe
{
    public static QuantizationOptions Combine(QuantizationOptions baseOptions, IReadOnlyList<AutoQuantResult> results) => baseOptions with
    {
        Exclude = baseOptions.Exclude.Concat(results.SelectMany(r => r.Options.Exclude.Skip(baseOptions.Exclude.Count))).Distinct().ToList(),
        ReduceRange = results.Count > 0 ? results[^1].Options.ReduceRange : baseOptions.ReduceRange,
    };
}
