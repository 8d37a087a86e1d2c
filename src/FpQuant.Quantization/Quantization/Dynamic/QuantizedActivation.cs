namespace FpQuant.Quantization.Dynamic;

/// <summary>The outputs of one DynamicQuantizeLinear: the u8 tensor, its scale and its zero point.</summary>
internal sealed record QuantizedActivation(string Name, string Scale, string ZeroPoint);
