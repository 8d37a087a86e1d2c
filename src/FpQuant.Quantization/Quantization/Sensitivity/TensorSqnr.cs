namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// SQNR of one activation in the fully quantized model against float, matched by name through its Q/DQ pair.
/// </summary>
/// <param name="Tensor">The activation's name.</param>
/// <param name="SqnrDb">Its SQNR against float, dB.</param>
public sealed record TensorSqnr(string Tensor, double SqnrDb);
