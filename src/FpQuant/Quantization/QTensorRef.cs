namespace FpQuant.Quantization;

/// <summary>An integer tensor with the names of its scale and zero-point initializers.</summary>
public sealed record QTensorRef(string Name, string Scale, string ZeroPoint, QuantParams Params);
