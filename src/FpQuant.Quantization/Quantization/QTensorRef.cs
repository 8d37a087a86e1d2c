namespace FpQuant.Quantization;

/// <summary>An integer tensor with the names of its scale and zero-point initializers.</summary>
internal sealed record QTensorRef(string Name, string Scale, string ZeroPoint, QuantParams Params);
