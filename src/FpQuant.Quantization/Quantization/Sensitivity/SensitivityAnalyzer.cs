using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>What <see cref="SensitivityAnalyzer.Analyse"/> examines and how.</summary>
public sealed record SensitivityOptions
{
    /// <summary>The static or dynamic recipe whose layers are examined; <see cref="QuantizationPresets.OnnxStatic"/>
    /// by default.</summary>
    public QuantizationOptions Recipe { get; init; } = QuantizationPresets.OnnxStatic;

    /// <summary>Held-out data the fully quantized model is checked on, never used to calibrate or search; null holds
    /// out the last quarter of the calibration batches instead (when there are at least two).</summary>
    public InputSource? Evaluation { get; init; }

    /// <summary>Calibration batches every layer is judged on.</summary>
    public int SearchBatches { get; init; } = 1;

    /// <summary>Fidelity in the model's own terms, added to the generic values; null for the generic ones
    /// only.</summary>
    public IFidelityMetric? Metric { get; init; }

    /// <summary>A folder to write sensitivity.json, .md and .png into; null writes nothing.</summary>
    public string? ReportFolder { get; init; }

    /// <summary>Where ONNX Runtime runs; null for the CPU.</summary>
    public ExecutionOptions? Execution { get; init; }
}

/// <summary>
/// Per-layer sensitivity of a model to quantization: the library's equivalent of <c>fpquant sensitivity</c>.
/// </summary>
public static class SensitivityAnalyzer
{
    /// <summary>
    /// Calibrates once, then measures every layer (a module path: a node name up to its first '/') quantized alone and
    /// left float alone, and the per-tensor SQNR of the fully quantized model.
    /// </summary>
    /// <param name="modelPath">The float ONNX model.</param>
    /// <param name="calibration">The data ranges are calibrated on and layers judged on (see
    /// <c>FpQuant.Inputs.ModelInputs</c>).</param>
    /// <param name="options">The recipe, held-out data and metric; null for the defaults.</param>
    /// <param name="progress">Receives a line per step, or null.</param>
    /// <returns>The report, layers most sensitive first.</returns>
    /// <exception cref="FpQuantException">Bad input: the model, the data, or a recipe that is not static or
    /// dynamic.</exception>
    public static SensitivityReport Analyse(string modelPath, InputSource calibration,
        SensitivityOptions? options = null, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(calibration);
        options ??= new SensitivityOptions();
        if (options.SearchBatches < 1)
            throw new FpQuantException(
                $"{nameof(SensitivityOptions.SearchBatches)} must be at least 1, got {options.SearchBatches}");
        var settings = (options.Execution ?? new ExecutionOptions()).ToSettings();
        var model = OnnxModelFile.Load(modelPath);
        var data = EvaluationData.Split(model, modelPath, calibration, options.Evaluation, options.SearchBatches);
        var analysis = new SensitivityAnalysis(model, modelPath, options.Recipe, data, settings, options.Metric);
        var report = analysis.Analyze(progress);
        if (options.ReportFolder != null) SensitivityReportWriter.Write(report, options.ReportFolder);
        return report;
    }
}
