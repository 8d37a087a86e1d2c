namespace FpQuant.Quantization;

/// <summary>The integer type of a quantized tensor: signed or unsigned 8-bit.</summary>
public enum QuantType { S8, U8 }
