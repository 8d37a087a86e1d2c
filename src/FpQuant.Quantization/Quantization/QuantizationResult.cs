using FpQuant.Quantization.Calibration;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>What a quantization did, for the JSON sidecar and the CLI summary.</summary>
internal sealed record QuantizationResult(
    ModelProto Model,
    QuantizationOptions Options,
    string? Preset,
    string? CalibrationDescription,
    IReadOnlyDictionary<string, CalibrationRange> Ranges,
    IReadOnlyDictionary<string, QuantParams> Params,
    IReadOnlyList<string> QuantizedNodes,
    TimeSpan Elapsed)
{
    /// <summary>What the user should know but that did not stop the quantization: pre-processing done, globs that
    /// matched no node.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    /// <summary>Mixed-mode recipes: the mode every node of the (prepared) source graph got; null otherwise.</summary>
    public IReadOnlyDictionary<string, Mixed.NodeMode>? NodeModes { get; init; }

    /// <summary>The activations outlier smoothing rescaled before quantization (empty without --smooth).</summary>
    public IReadOnlyList<Smoothing.SmoothedTensor> Smoothed { get; init; } = Array.Empty<Smoothing.SmoothedTensor>();

    /// <summary>Nothing qualified and <see cref="Model"/> is the source model as given (not pre-processed), so
    /// <see cref="ModelQuantizer.Save"/> writes the source file's own bytes.</summary>
    public bool IsSourceModel { get; init; }

    /// <summary>The activation tensors <see cref="QuantizationOptions.FloatTensors"/> kept float (exact
    /// names).</summary>
    public IReadOnlyList<string> FloatTensors { get; init; } = Array.Empty<string>();
}
