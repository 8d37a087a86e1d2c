namespace FpQuant.Quantization.Calibration;

/// <summary>The observed minimum and maximum, or their moving averages across batches when asked (as ONNX
/// Runtime's MinMax calibrator can).</summary>
internal sealed class MinMaxEstimator : IRangeEstimator
{
    public bool NeedsHistogram => false;
    public bool HistogramOfAbs(QuantizationOptions options) => false;

    public CalibrationRange ChooseRange(TensorStatistics s, QuantizationOptions o) => o.MovingAverage != null
        ? new CalibrationRange((float)s.AvgMin, (float)s.AvgMax) { ObservedMin = s.Min, ObservedMax = s.Max }
        : new CalibrationRange(s.Min, s.Max);
}
