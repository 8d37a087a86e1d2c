namespace FpQuant.Quantization.Calibration;

/// <summary>
/// Turns a tensor's statistics into a range through the options' estimator; helpers estimators share.
/// </summary>
internal static class RangeSelection
{
    public static CalibrationRange Select(TensorStatistics s, QuantizationOptions o)
    {
        if (s.Batches == 0) return new CalibrationRange(0, 0);
        if (!(s.Max > s.Min)) return new CalibrationRange(s.Min, s.Max);
        return RangeEstimators.For(o.Calibration).ChooseRange(s, o);
    }

    /// <summary>A range clipped to what the data reached, remembering the observed min and max.</summary>
    public static CalibrationRange Clip(TensorStatistics s, float lo, float hi) =>
        new(Math.Max(lo, s.Min), Math.Min(hi, s.Max)) { ObservedMin = s.Min, ObservedMax = s.Max };

    /// <summary>The first bin at which the cumulative count reaches <paramref name="target"/>.</summary>
    public static int CumulativeIndex(double[] h, double target)
    {
        double c = 0;
        for (int i = 0; i < h.Length; i++) { c += h[i]; if (c >= target) return i; }
        return h.Length - 1;
    }
}
