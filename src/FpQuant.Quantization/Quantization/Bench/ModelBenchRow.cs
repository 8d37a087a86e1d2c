using FpQuant.Quantization.Sensitivity;

namespace FpQuant.Quantization.Bench;

/// <summary>One variant of any model: size, latency (median of alternating rounds) and fidelity on held-out samples.</summary>
internal sealed record ModelBenchRow(string Variant, string Recipe, double SizeMb, int QuantizedNodes, double LatencyMs, double LatencyMinMs, double LatencyMaxMs,
    double SpeedUp, OutputFidelity? Fidelity, string? Error);
