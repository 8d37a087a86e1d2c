namespace FpQuant.Quantization;

/// <summary>The integer type of a quantized tensor: signed or unsigned 8-bit.</summary>
public enum QuantType
{
    /// <summary>Signed 8-bit (int8).</summary>
    S8,
    /// <summary>Unsigned 8-bit (uint8).</summary>
    U8,
}
