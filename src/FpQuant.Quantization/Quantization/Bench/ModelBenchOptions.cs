using FpQuant.Runtime;

namespace FpQuant.Quantization.Bench;

/// <summary>What <c>ModelBench.Run</c> compares and how long it measures.</summary>
public sealed record ModelBenchOptions
{
    /// <summary>The variants: "fp32", a preset name (<see cref="QuantizationPresets.Names"/>), a preset .json file,
    /// or NAME=FILE.onnx for a model quantized elsewhere. fp32 is always measured (it is the reference).</summary>
    public IReadOnlyList<string> Variants { get; init; } = ["fp32", "onnx-static", "onnx-dynamic"];

    /// <summary>Alternating latency rounds after warm-up.</summary>
    public int Rounds { get; init; } = 10;

    /// <summary>Where ONNX Runtime runs; null for the CPU.</summary>
    public ExecutionOptions? Execution { get; init; }
}
