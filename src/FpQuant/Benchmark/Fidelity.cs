namespace FpQuant.Benchmark;

/// <summary>Fidelity of a variant against fp32 on the same inputs.</summary>
public sealed record Fidelity(
    double ScoreSpearman,
    bool Top1Agrees,
    double ScoreSqnrDb,
    double RefineSqnrDb,
    double RotationDevMeanDeg,
    double RotationDevMaxDeg,
    double TranslationDevMeanPct,
    double TranslationDevMaxPct);
