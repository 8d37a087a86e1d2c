using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// Finds the fastest recipe whose fidelity holds a budget: the library's equivalent of <c>fpquant autoquant</c>.
/// </summary>
public static partial class AutoQuant
{
    /// <summary>
    /// Builds and judges every recipe (with and without outlier smoothing) on a search group and on held-out samples;
    /// when none holds the budget, searches the most faithful one layer by layer; times float and every candidate
    /// within the budget in alternating rounds, and writes the fastest that beats float to
    /// <paramref name="outputPath"/> with its sidecar, as <see cref="OnnxQuantizer.Quantize"/> would.
    /// </summary>
    /// <param name="modelPath">The float ONNX model.</param>
    /// <param name="outputPath">Where to write the chosen model (nothing is written when none is chosen, unless
    /// <see cref="AutoQuantOptions.BestEffort"/>).</param>
    /// <param name="calibration">The data ranges are calibrated on and candidates judged on.</param>
    /// <param name="options">Budget, recipes and limits; null for the defaults.</param>
    /// <param name="progress">Receives a line per trial, or null.</param>
    /// <returns>Every candidate and the choice.</returns>
    /// <exception cref="FpQuantException">Bad input: the model, the data, or a budget key no model
    /// measures.</exception>
    public static AutoQuantSearchResult Search(string modelPath, string outputPath, InputSource calibration,
        AutoQuantOptions? options = null, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(calibration);
        options ??= new AutoQuantOptions();
        if (options.SearchBatches < 1)
            throw new FpQuantException(
                $"{nameof(AutoQuantOptions.SearchBatches)} must be at least 1, got {options.SearchBatches}");
        if (options.LatencyRounds < 1)
            throw new FpQuantException(
                $"{nameof(AutoQuantOptions.LatencyRounds)} must be at least 1, got {options.LatencyRounds}");
        var budget = Budget(options);
        var settings = (options.Execution ?? new ExecutionOptions()).ToSettings();
        var model = OnnxModelFile.Load(modelPath);
        var data = EvaluationData.Split(model, modelPath, calibration, options.Evaluation, options.SearchBatches);
        var request = new AutoQuantRequest
        {
            Budget = budget,
            Bases = options.Recipes?.Select(kv => (kv.Key, kv.Value)).ToList(),
            SmoothingAlphas = options.SmoothingAlphas,
            SmoothingPerLayer = options.SmoothingAlphas.Count > 0,
            MaxTrials = options.MaxTrials,
            LatencyRounds = options.LatencyRounds,
            BestEffort = options.BestEffort,
        };
        var r = Run(model, modelPath, data, request, settings, options.Metric, progress);
        if (r.Model != null) ModelQuantizer.Save(r.Model, outputPath, modelPath);
        return new AutoQuantSearchResult(r.Candidates, r.Chosen, r.BestEffort, r.FloatLatencySeconds,
            r.Model != null ? outputPath : null, r.Sensitivity, r.Log, r.Trials, r.Seconds);
    }

    private static FidelityBudget Budget(AutoQuantOptions o)
    {
        if (o.Budget == null)
            return o.Metric != null ? new FidelityBudget(o.Metric.DefaultBudget) : FidelityBudget.GenericDefault;
        var keys = FidelityBudget.GenericKeys.Concat(o.Metric?.Keys ?? []).Select(k => k.Name).Distinct().ToList();
        var limits = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, value) in o.Budget)
        {
            if (!keys.Contains(key))
                throw new FpQuantException(
                    $"{nameof(AutoQuantOptions.Budget)} key '{key}': use {string.Join(", ", keys)}");
            if (!double.IsFinite(value))
                throw new FpQuantException(
                    $"{nameof(AutoQuantOptions.Budget)} '{key}' must be a finite number, got {value}");
            limits[key] = value;
        }
        return new FidelityBudget(limits);
    }
}
