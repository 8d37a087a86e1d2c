namespace FpQuant.Quantization;

/// <summary>How calibration turns a tensor's statistics into a range; each has an IRangeEstimator in RangeEstimators.</summary>
public enum CalibrationMethod { MinMax, Percentile, Entropy, HistogramL2 }
