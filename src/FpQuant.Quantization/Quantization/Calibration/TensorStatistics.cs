using FpQuant.Core;

namespace FpQuant.Quantization.Calibration;

/// <summary>Streams one tensor's values batch by batch and never keeps them: min/max and a fixed-range histogram.</summary>
internal sealed class TensorStatistics
{
    public float Min { get; private set; } = float.PositiveInfinity;
    public float Max { get; private set; } = float.NegativeInfinity;
    /// <summary>Moving-average min and max (when enabled), as ONNX Runtime's MinMax calibrator can.</summary>
    public double AvgMin { get; private set; }
    public double AvgMax { get; private set; }
    public long Batches { get; private set; }
    public double[]? Histogram { get; private set; }
    public float HistLo { get; private set; }
    public float HistHi { get; private set; }
    public bool HistOfAbs { get; private set; }

    public void AddMinMax(ReadOnlySpan<float> x, double? movingAverage)
    {
        var (mn, mx) = QuantMath.MinMax(x);
        if (x.Length == 0) return;
        if (Batches == 0 || movingAverage == null) { AvgMin = Batches == 0 ? mn : AvgMin; AvgMax = Batches == 0 ? mx : AvgMax; }
        if (movingAverage is double c && Batches > 0)
        {
            AvgMin += c * (mn - AvgMin);
            AvgMax += c * (mx - AvgMax);
        }
        Min = Math.Min(Min, mn);
        Max = Math.Max(Max, mx);
        Batches++;
    }

    public void StartHistogram(int bins, bool ofAbs)
    {
        HistOfAbs = ofAbs;
        Histogram = new double[bins];
        if (ofAbs) { HistLo = 0; HistHi = Math.Max(Math.Abs(Min), Math.Abs(Max)); }
        else { HistLo = Min; HistHi = Max; }
    }

    public void AddHistogram(ReadOnlySpan<float> x)
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

    public float BinEdge(int i) => HistLo + (HistHi - HistLo) * i / Histogram!.Length;
}
