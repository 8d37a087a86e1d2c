using FpQuant.Core;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// Streams one tensor's values batch by batch and never keeps them: min/max and a fixed-range histogram.
/// </summary>
public sealed class TensorStatistics
{
    /// <summary>The smallest value seen.</summary>
    public float Min { get; private set; } = float.PositiveInfinity;
    /// <summary>The largest value seen.</summary>
    public float Max { get; private set; } = float.NegativeInfinity;
    /// <summary>Moving-average min and max (when enabled), as ONNX Runtime's MinMax calibrator can.</summary>
    public double AvgMin { get; private set; }
    /// <summary>Moving-average max (when enabled).</summary>
    public double AvgMax { get; private set; }
    /// <summary>Batches seen.</summary>
    public long Batches { get; private set; }
    /// <summary>
    /// Counts per bin over [<see cref="HistLo"/>, <see cref="HistHi"/>], or null before the histogram pass.
    /// </summary>
    public double[]? Histogram { get; private set; }
    /// <summary>The histogram's low edge.</summary>
    public float HistLo { get; private set; }
    /// <summary>The histogram's high edge.</summary>
    public float HistHi { get; private set; }
    /// <summary>Whether the histogram is of |x|.</summary>
    public bool HistOfAbs { get; private set; }

    internal void AddMinMax(ReadOnlySpan<float> x, double? movingAverage)
    {
        var (mn, mx) = QuantMath.MinMax(x);
        if (x.Length == 0) return;
        AddRange(mn, mx, movingAverage);
    }

    /// <summary>One batch known only by its min and max (computed in the model): the same as
    /// <see cref="AddMinMax"/> of that batch's values.</summary>
    internal void AddRange(float mn, float mx, double? movingAverage)
    {
        if (Batches == 0
            || movingAverage == null) { AvgMin = Batches == 0 ? mn : AvgMin; AvgMax = Batches == 0 ? mx : AvgMax; }
        if (movingAverage is double c && Batches > 0)
        {
            AvgMin += c * (mn - AvgMin);
            AvgMax += c * (mx - AvgMax);
        }
        Min = Math.Min(Min, mn);
        Max = Math.Max(Max, mx);
        Batches++;
    }

    internal void StartHistogram(int bins, bool ofAbs)
    {
        HistOfAbs = ofAbs;
        Histogram = new double[bins];
        if (ofAbs) { HistLo = 0; HistHi = Math.Max(Math.Abs(Min), Math.Abs(Max)); }
        else { HistLo = Min; HistHi = Max; }
    }

    internal void AddHistogram(ReadOnlySpan<float> x)
    {
        var h = Histogram!;
        int bins = h.Length;
        float lo = HistLo, width = HistHi - HistLo;
        if (!(width > 0)) { h[0] += x.Length; return; }
        float inv = bins / width;
        for (int i = 0; i < x.Length; i++)
        {
            float v = HistOfAbs ? MathF.Abs(x[i]) : x[i];
            int b = (int)((v - lo) * inv);
            if (b < 0) b = 0; else if (b >= bins) b = bins - 1;
            h[b]++;
        }
    }

    /// <summary>The low edge of bin <paramref name="i"/> (<paramref name="i"/> = bins gives the high edge).</summary>
    /// <param name="i">The bin.</param>
    /// <returns>The edge value.</returns>
    public float BinEdge(int i) => HistLo + (HistHi - HistLo) * i / Histogram!.Length;
}
