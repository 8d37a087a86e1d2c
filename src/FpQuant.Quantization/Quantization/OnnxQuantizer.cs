using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;

namespace FpQuant.Quantization;

/// <summary>
/// Quantizes an ONNX model file: the library's equivalent of <c>fpquant quantize</c>, writing the same model and
/// sidecar for the same options and data.
/// </summary>
/// <example><code>
/// var summary = OnnxQuantizer.Quantize("model.onnx", "model.int8.onnx", QuantizationPresets.OnnxStatic,
///     ModelInputs.FromNpy("calib/"));
/// </code></example>
public static class OnnxQuantizer
{
    /// <summary>
    /// Quantizes <paramref name="modelPath"/> with <paramref name="options"/> and writes the result to
    /// <paramref name="outputPath"/> with its sidecar (the same name with .json). The float model must load in ONNX
    /// Runtime; the quantized one is checked to load and run before anything is written; both files are written
    /// atomically (a failure leaves neither). The same inputs and options give byte-identical files.
    /// </summary>
    /// <param name="modelPath">The float ONNX model.</param>
    /// <param name="outputPath">Where to write the quantized model.</param>
    /// <param name="options">A preset from <see cref="QuantizationPresets"/> or options of your own.</param>
    /// <param name="calibration">The data static ranges are calibrated on (and outlier smoothing measured on); see
    /// <c>FpQuant.Inputs.ModelInputs</c>. Required when <see cref="QuantizationOptions.NeedsCalibration"/>; ignored
    /// otherwise (dynamic, weight-only and fp16 need none).</param>
    /// <param name="execution">Where ONNX Runtime runs the checks and the calibration; null for the CPU.</param>
    /// <param name="progress">Receives a line per step, or null.</param>
    /// <returns>What was written and done.</returns>
    /// <exception cref="FpQuantException">Bad input: a missing or invalid model, invalid options, calibration data
    /// that does not fit the model, or static quantization without <paramref name="calibration"/>.</exception>
    public static QuantizationSummary Quantize(string modelPath, string outputPath, QuantizationOptions options,
        InputSource? calibration = null, ExecutionOptions? execution = null, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(outputPath);
        ArgumentNullException.ThrowIfNull(options);
        if (options.NeedsCalibration && calibration == null)
            throw new FpQuantException($"{Path.GetFileName(modelPath)}: {Needs(options)} needs calibration data: "
                + $"pass {nameof(calibration)} (e.g. ModelInputs.FromNpy(\"calib/\"))");
        var settings = (execution ?? new ExecutionOptions()).ToSettings();
        var model = OnnxModelFile.Load(modelPath);
        string? preset = QuantizationPresets.NameOf(options);
        var result = ModelQuantizer.Quantize(model, modelPath, options, preset,
            options.NeedsCalibration ? calibration : null, settings, progress);
        ModelQuantizer.Save(result, outputPath, modelPath);
        return new QuantizationSummary(outputPath, ModelQuantizer.SidecarPath(outputPath), preset, result.Options,
            result.QuantizedNodes, result.Warnings, result.Elapsed, new FileInfo(outputPath).Length,
            new FileInfo(modelPath).Length);
    }

    private static string Needs(QuantizationOptions o) =>
        o.Mode == QuantMode.Static && o.Modes.Count == 0 || o.Modes.Any(r => r.Mode == Mixed.NodeMode.Static)
            ? "static quantization"
            : $"outlier smoothing ({(o.SmoothingPerLayer ? "SmoothingPerLayer" : "SmoothingAlpha")})";
}
