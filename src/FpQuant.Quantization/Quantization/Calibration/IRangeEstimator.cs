namespace FpQuant.Quantization.Calibration;

/// <summary>
/// A calibration method: what statistics it needs (min/max always; a histogram on a second pass when it says so)
/// and how it turns them into the range a tensor's quantization covers. A new method is one class implementing
/// this and one entry in <see cref="RangeEstimators"/>.
/// </summary>
internal interface IRangeEstimator
{
    /// <summary>Whether a second pass must fill a histogram over the min/max of the first.</summary>
    bool NeedsHistogram { get; }

    /// <summary>Whether that histogram is of |x| over [0, absmax] rather than of x over [min, max].</summary>
    bool HistogramOfAbs(QuantizationOptions options);

    /// <summary>The range for one tensor whose statistics hold a non-degenerate min &lt; max.</summary>
    CalibrationRange Select(TensorStatistics statistics, QuantizationOptions options);
}
