using FpQuant.Core;

namespace FpQuant.Quantization.Calibration;

/// <summary>The calibration methods by name: the one registration a new <see cref="IRangeEstimator"/> needs.</summary>
internal static class RangeEstimators
{
    private static readonly Dictionary<CalibrationMethod, IRangeEstimator> Estimators = new()
    {
        [CalibrationMethod.MinMax] = new MinMaxEstimator(),
        [CalibrationMethod.Percentile] = new PercentileEstimator(),
        [CalibrationMethod.Entropy] = new EntropyEstimator(),
        [CalibrationMethod.HistogramL2] = new HistogramL2Estimator(),
    };

    public static IRangeEstimator For(CalibrationMethod method) =>
        Estimators.TryGetValue(method, out var e) ? e : throw new FpQuantException($"calibration method {method} has no estimator");
}
