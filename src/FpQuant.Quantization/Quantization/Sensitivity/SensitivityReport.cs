namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// A sensitivity analysis: the fully quantized model on the search group and on held-out samples (null when there
/// are none), every layer's fidelity on the search group, and the per-tensor SQNR.
/// </summary>
internal sealed record SensitivityReport(
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
