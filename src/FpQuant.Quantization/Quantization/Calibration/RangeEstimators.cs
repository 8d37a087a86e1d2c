using System.Collections.Concurrent;
using FpQuant.Core;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// The range estimator of each calibration method: the built-in ones, and any a caller registers in their place.
/// </summary>
public static class RangeEstimators
{
    private static readonly ConcurrentDictionary<CalibrationMethod, IRangeEstimator> Estimators = new()
    {
        [CalibrationMethod.MinMax] = new MinMaxEstimator(),
        [CalibrationMethod.Percentile] = new PercentileEstimator(),
        [CalibrationMethod.Entropy] = new EntropyEstimator(),
        [CalibrationMethod.HistogramL2] = new HistogramL2Estimator(),
    };

    /// <summary>
    /// Makes <paramref name="estimator"/> the one <paramref name="method"/> uses from now on, in this process (every
    /// quantization whose <see cref="QuantizationOptions.Calibration"/> is <paramref name="method"/>).
    /// </summary>
    /// <param name="method">The method whose estimator is replaced.</param>
    /// <param name="estimator">The new estimator.</param>
    /// <returns>The estimator it replaces, so that a caller can put it back.</returns>
    public static IRangeEstimator Register(CalibrationMethod method, IRangeEstimator estimator)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        var previous = For(method);
        Estimators[method] = estimator;
        return previous;
    }

    /// <summary>The estimator <paramref name="method"/> uses.</summary>
    /// <param name="method">The calibration method.</param>
    /// <returns>Its estimator.</returns>
    /// <exception cref="FpQuantException">The method has none.</exception>
    public static IRangeEstimator For(CalibrationMethod method) =>
        Estimators.TryGetValue(method, out var e) ? e
            : throw new FpQuantException($"calibration method {method} has no estimator");
}
