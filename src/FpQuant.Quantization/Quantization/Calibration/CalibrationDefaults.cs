namespace FpQuant.Quantization.Calibration;

/// <summary>Calibration's defaults, named once.</summary>
internal static class CalibrationDefaults
{
    /// <summary>Samples per calibration batch (for ScoreNet, one batch is one scored group of pairs).</summary>
    public const int BatchSize = 8;
}
