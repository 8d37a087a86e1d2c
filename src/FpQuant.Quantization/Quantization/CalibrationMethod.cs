namespace FpQuant.Quantization;

/// <summary>
/// How calibration turns a tensor's statistics into a range; each has an IRangeEstimator in RangeEstimators.
/// </summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen (or their moving averages).</summary>
    MinMax,
    /// <summary>The given percentile of |x| (<see cref="QuantizationOptions.Percentile"/>).</summary>
    Percentile,
    /// <summary>The clipping threshold whose quantized histogram is closest to the original in KL divergence.</summary>
    Entropy,
    /// <summary>
    /// The range that minimises the L2 error of the quantized histogram (PyTorch's HistogramObserver).
    /// </summary>
    HistogramL2,
}
