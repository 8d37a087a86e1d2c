namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// One output of a model, quantized against float over the evaluation samples: SQNR, per-sample cosine (axis 0 is
/// the sample when it matches the batch), top-1/top-5 agreement when the output is class logits, and the cosine of
/// attention-mask-mean-pooled embeddings for a [N, sequence, hidden] output of a model fed an attention mask.
/// </summary>
/// <param name="Output">The output's name.</param>
/// <param name="SqnrDb">SQNR against float, dB.</param>
/// <param name="CosineMin">The lowest per-sample cosine.</param>
/// <param name="CosineMean">The mean per-sample cosine.</param>
/// <param name="Top1">Share of samples whose top class agrees, for class logits; else null.</param>
/// <param name="Top5">Share of samples whose top class is in float's top 5, for class logits; else null.</param>
/// <param name="PooledCosineMin">The lowest cosine of mask-pooled embeddings, for a text model; else null.</param>
/// <param name="PooledCosineMean">The mean cosine of mask-pooled embeddings, for a text model; else null.</param>
public sealed record OutputComparison(string Output, double SqnrDb, double CosineMin, double CosineMean, double? Top1,
    double? Top5, double? PooledCosineMin, double? PooledCosineMean)
{
    /// <summary>The cosine this output is judged by: pooled embeddings where they exist, else the raw output.</summary>
    public double JudgedCosineMin => PooledCosineMin ?? CosineMin;
    /// <summary>The mean cosine this output is judged by.</summary>
    public double JudgedCosineMean => PooledCosineMean ?? CosineMean;
}
