namespace FpQuant.Benchmark;

/// <summary>Fidelity of a variant against fp32 on the same inputs.</summary>
internal sealed record VariantFidelity(
    double ScoreSpearman,
    bool Top1Agrees,
    double ScoreSqnrDb,
    double RefineSqnrDb,
    double RotationDevMeanDeg,
    double RotationDevMaxDeg,
    double TranslationDevMeanPct,
    double TranslationDevMaxPct);
