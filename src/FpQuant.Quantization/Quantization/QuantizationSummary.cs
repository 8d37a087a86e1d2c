namespace FpQuant.Quantization;

/// <summary>What <see cref="OnnxQuantizer.Quantize"/> wrote and did.</summary>
/// <param name="ModelPath">The quantized model file.</param>
/// <param name="SidecarPath">The JSON beside it: preset, options, calibration source, tool version and every
/// range.</param>
/// <param name="Preset">The preset's name when the options are a preset's, else null.</param>
/// <param name="Options">The options as applied (reduce-range resolved for the execution provider).</param>
/// <param name="QuantizedNodes">The nodes of the source graph that were quantized (or converted to float16).</param>
/// <param name="Warnings">What did not stop the quantization but is worth knowing (pre-processing done, a pattern
/// that matched no node, nothing to quantize).</param>
/// <param name="Elapsed">How long the quantization took (writing excluded).</param>
/// <param name="ModelBytes">The size of the written model file.</param>
/// <param name="SourceBytes">The size of the source model file.</param>
public sealed record QuantizationSummary(
    string ModelPath,
    string SidecarPath,
    string? Preset,
    QuantizationOptions Options,
    IReadOnlyList<string> QuantizedNodes,
    IReadOnlyList<string> Warnings,
    TimeSpan Elapsed,
    long ModelBytes,
    long SourceBytes);
