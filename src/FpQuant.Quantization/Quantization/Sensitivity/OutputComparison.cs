namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// One output of a model, quantized against float over the evaluation samples: SQNR, per-sample cosine (axis 0 is
/// the sample when it matches the batch), top-1/top-5 agreement when the output is class logits, and the cosine of
/// attention-mask-mean-pooled embeddings for a [N, sequence, hidden] output of a model fed an attention mask.
/// </summary>
internal sealed record OutputComparison(string Output, double SqnrDb, double CosineMin, double CosineMean, double? Top1, double? Top5,
    double? PooledCosineMin, double? PooledCosineMean)
{
    /// <summary>The cosine this output is judged by: pooled embeddings where they exist, else the raw output.</summary>
    public double JudgedCosineMin => PooledCosineMin ?? CosineMin;
    public double JudgedCosineMean => PooledCosineMean ?? CosineMean;
}
