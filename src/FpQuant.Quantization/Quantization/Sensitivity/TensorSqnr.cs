namespace FpQuant.Quantization.Sensitivity;

/// <summary>SQNR of one activation in the fully quantized model against float, matched by name through its Q/DQ pair.</summary>
internal sealed record TensorSqnr(string Tensor, double SqnrDb);
