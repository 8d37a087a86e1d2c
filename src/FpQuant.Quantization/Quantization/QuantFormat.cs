namespace FpQuant.Quantization;

/// <summary>
/// How static int8 is written: float ops between QuantizeLinear/DequantizeLinear pairs, or the integer ops themselves.
/// </summary>
public enum QuantFormat
{
    /// <summary>
    /// QuantizeLinear/DequantizeLinear pairs around float ops; the runtime fuses them into integer kernels.
    /// </summary>
    Qdq,
    /// <summary>The integer ops themselves (QLinearConv, QLinearMatMul, ...).</summary>
    QOperator,
}
