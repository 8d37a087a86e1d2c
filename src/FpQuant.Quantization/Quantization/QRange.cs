namespace FpQuant.Quantization;

/// <summary>The integer interval a quantized tensor may use.</summary>
internal readonly record struct QRange(int Min, int Max);
