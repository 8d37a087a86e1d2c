namespace FpQuant.Quantization.Calibration;

/// <summary>
/// A calibration method: what statistics it needs (min/max always; a histogram on a second pass when it says so)
/// and how it turns them into the range a tensor's quantization covers. A new method is one class implementing
/// this, registered for a method with <see cref="RangeEstimators.Register"/>.
/// </summary>
public interface IRangeEstimator
{
    /// <summary>Whether a second pass must fill a histogram over the min/max of the first.</summary>
    bool NeedsHistogram { get; }

    /// <summary>Whether that histogram is of |x| over [0, absmax] rather than of x over [min, max].</summary>
    /// <param name="options">The options being applied.</param>
    /// <returns>True for a histogram of |x|.</returns>
    bool HistogramOfAbs(QuantizationOptions options);

    /// <summary>The range for one tensor whose statistics hold a non-degenerate min &lt; max.</summary>
    /// <param name="statistics">The tensor's min/max (and histogram when <see cref="NeedsHistogram"/>).</param>
    /// <param name="options">The options being applied (percentile, bins, symmetry).</param>
    /// <returns>The range to quantize over.</returns>
    CalibrationRange ChooseRange(TensorStatistics statistics, QuantizationOptions options);
}
