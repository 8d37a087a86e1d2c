namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// What autoquant chose: the recipe, the layers it kept float, its fidelity on the search group (what the search
/// judged by) and on held-out samples (the honest check; null when there were none), and measured latencies.
/// </summary>
internal sealed record AutoQuantResult(
    QuantizationOptions Options,
    List<string> FloatLayers,
    OutputFidelity Fidelity,
    bool WithinBudget,
    OutputFidelity? HeldOutFidelity,
    bool? HeldOutWithinBudget,
    double LatencySeconds,
    double FloatLatencySeconds,
    double FullyQuantizedLatencySeconds,
    List<string> Log);
