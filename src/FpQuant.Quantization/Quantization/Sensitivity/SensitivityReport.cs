namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// A sensitivity analysis: the fully quantized model on the search group and on held-out samples (null when there
/// are none), every layer's fidelity on the search group, and the per-tensor SQNR.
/// </summary>
/// <param name="Model">The model file's name.</param>
/// <param name="Network">What the model is (a metric's model name), or "generic".</param>
/// <param name="Options">The recipe as analysed.</param>
/// <param name="Calibration">The calibration data's description.</param>
/// <param name="HeldOut">The held-out data's description.</param>
/// <param name="SearchSamples">Samples in the search group.</param>
/// <param name="HeldOutSamples">Held-out samples (0 when none).</param>
/// <param name="FullyQuantized">The fully quantized model on the search group.</param>
/// <param name="FullyQuantizedHeldOut">The fully quantized model on the held-out samples; null when none.</param>
/// <param name="Layers">Every layer, most sensitive first.</param>
/// <param name="Tensors">Per-activation SQNR of the fully quantized model.</param>
/// <param name="Seconds">How long the analysis took.</param>
public sealed record SensitivityReport(
    string Model,
    string Network,
    QuantizationOptions Options,
    string Calibration,
    string HeldOut,
    int SearchSamples,
    int HeldOutSamples,
    OutputFidelity FullyQuantized,
    OutputFidelity? FullyQuantizedHeldOut,
    List<LayerSensitivity> Layers,
    List<TensorSqnr> Tensors,
    double Seconds);
