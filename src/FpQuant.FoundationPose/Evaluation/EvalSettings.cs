using FpQuant.Core;
using FpQuant.Datasets;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Runtime;
using FpQuant.Variants;

namespace FpQuant.Evaluation;

/// <summary>
/// What `fpquant eval` runs: a dataset split, the variants, the first-frame settings, where results go.
/// </summary>
internal sealed record EvalSettings
{
    public required string Dataset { get; init; }
    public string Split { get; init; } = "test";
    public required IReadOnlyList<VariantSpec> Variants { get; init; }
    public string Weights { get; init; } = WeightSource.DefaultSpec;
    public RegistrationSettings Registration { get; init; } = new();
    public InstanceSelection Selection { get; init; } = new();
    public required string OutDir { get; init; }
    public string CacheDir { get; init; } = Path.Combine("bench-results", "model-cache");
    public RuntimeSettings Runtime { get; init; } = new();
    /// <summary>
    /// Skip (variant, instance) pairs already in OUT/results.jsonl from a run with the same settings.
    /// </summary>
    public bool Resume { get; init; }
    /// <summary>Run only this part of the selected instances (null: all of them).</summary>
    public EvalShard? Shard { get; init; }
    /// <summary>Crops of the first instance used to calibrate static presets.</summary>
    public int CalibrationPairs { get; init; } = 16;

    public void Validate()
    {
        if (Variants.Count == 0)
            throw new FpQuantException("Variants: give at least one variant (fp32, a preset, a preset .json file or " +
                "NAME=REFINE.onnx,SCORE.onnx)");
        var dup = Variants.GroupBy(v => v.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new FpQuantException($"Variants: '{dup.Key}' is given twice");
        new FirstFrameSettings
        {
            Hypotheses = Registration.Hypotheses, Iterations = Registration.Iterations,
            RefineBatch = Registration.RefineBatch,
            ScoreChunk = Registration.ScoreChunk, MaxMemoryBytes = Registration.MaxMemoryBytes,
        }.Validate();
        Registration.Crops.Validate();
        Selection.Validate();
        if (CalibrationPairs < 1)
            throw new FpQuantException($"CalibrationPairs must be at least 1, got {CalibrationPairs}");
    }

    /// <summary>The settings that make results comparable: a resumed run must match them.</summary>
    public string Fingerprint => string.Join("; ",
        $"dataset {Path.GetFullPath(Dataset)}", $"split {Split}", $"weights {WeightSource.Describe(Weights)}",
        $"hypotheses {Registration.Hypotheses}", $"iterations {Registration.Iterations}",
        $"refine batch {Registration.RefineBatch}",
        $"crop ratios {Registration.Crops.RefineCropRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}/{Registration.Crops.ScoreCropRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        $"calibration {CalibrationPairs}");
}
