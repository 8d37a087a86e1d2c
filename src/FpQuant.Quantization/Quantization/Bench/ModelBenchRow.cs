using FpQuant.Quantization.Sensitivity;

namespace FpQuant.Quantization.Bench;

/// <summary>
/// One variant of any model: size, latency (median of alternating rounds) and fidelity on held-out samples.
/// </summary>
/// <param name="Variant">The variant's name.</param>
/// <param name="Recipe">The preset, file or source it was built from.</param>
/// <param name="SizeMb">The model's size, MB.</param>
/// <param name="QuantizedNodes">Nodes fpquant quantized (0 for fp32 and models from elsewhere).</param>
/// <param name="LatencyMs">Median latency of one batch, ms.</param>
/// <param name="LatencyMinMs">The fastest round, ms.</param>
/// <param name="LatencyMaxMs">The slowest round, ms.</param>
/// <param name="SpeedUp">fp32's median over this one's.</param>
/// <param name="Fidelity">Fidelity against fp32 on the evaluation data; null when the variant failed.</param>
/// <param name="Error">Why the variant failed to build or load; null when it did not.</param>
public sealed record ModelBenchRow(string Variant, string Recipe, double SizeMb, int QuantizedNodes, double LatencyMs,
    double LatencyMinMs, double LatencyMaxMs, double SpeedUp, OutputFidelity? Fidelity, string? Error);
