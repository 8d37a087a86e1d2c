namespace FpQuant.Quantization;

/// <summary>How static int8 is written: float ops between QuantizeLinear/DequantizeLinear pairs, or the integer ops themselves.</summary>
public enum QuantFormat { Qdq, QOperator }
