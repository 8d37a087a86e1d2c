using FpQuant.Core;

namespace FpQuant.Quantization.Calibration;

/// <summary>Streams one tensor's values batch by batch and never keeps them: min/max and a fixed-range histogram.</summary>
public sealed class TensorStatistics
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

/// <summary>Turns a tensor's statistics into a range: minmax, percentile, entropy (KL) or PyTorch-style L2 search.</summary>
public static class RangeSelection
{
    public static CalibrationRange Select(TensorStatistics s, QuantizationOptions o)
    {
        if (s.Batches == 0) return new CalibrationRange(0, 0);
        float min = s.Min, max = s.Max;
        CalibrationRange Clip(float lo, float hi) =>
            new(Math.Max(lo, min), Math.Min(hi, max)) { ObservedMin = min, ObservedMax = max };
        if (!(max > min)) return new CalibrationRange(min, max);
        switch (o.Calibration)
        {
            case CalibrationMethod.MinMax:
                return o.MovingAverage != null
                    ? new CalibrationRange((float)s.AvgMin, (float)s.AvgMax) { ObservedMin = min, ObservedMax = max }
                    : new CalibrationRange(min, max);
            case CalibrationMethod.Percentile:
            {
                var h = s.Histogram!;
                double total = h.Sum();
                if (s.HistOfAbs)
                {
                    int b = CumulativeIndex(h, total * o.Percentile / 100.0);
                    float t = s.BinEdge(b + 1);
                    return Clip(-t, t);
                }
                double tail = total * (100.0 - o.Percentile) / 200.0;
                int lo = CumulativeIndex(h, tail);
                int hi = CumulativeIndex(h, total - tail);
                return Clip(s.BinEdge(lo), s.BinEdge(hi + 1));
            }
            case CalibrationMethod.Entropy:
            {
                float t = EntropyThreshold(s.Histogram!, s.HistHi, o.QuantizedBins);
                return Clip(-t, t);
            }
            case CalibrationMethod.HistogramL2:
            {
                int dstBins = o.ReduceRangeActivations ? 128 : 256;
                var (lo, hi) = L2Search(s.Histogram!, dstBins);
                return Clip(s.BinEdge(lo), s.BinEdge(hi + 1));
            }
            default:
                throw new FpQuantException($"unknown calibration method {o.Calibration}");
        }
    }

    /// <summary>The first bin at which the cumulative count reaches <paramref name="target"/>.</summary>
    public static int CumulativeIndex(double[] h, double target)
    {
        double c = 0;
        for (int i = 0; i < h.Length; i++) { c += h[i]; if (c >= target) return i; }
        return h.Length - 1;
    }

    /// <summary>
    /// KL-divergence threshold search (the TensorRT method ONNX Runtime's entropy calibrator follows) on a histogram
    /// of |x| over [0, absmax]: for each candidate threshold, clip the reference distribution there, quantize it to
    /// <paramref name="quantizedBins"/> levels, and keep the threshold with the smallest divergence.
    /// </summary>
    public static float EntropyThreshold(double[] absHist, float absMax, int quantizedBins)
    {
        int bins = absHist.Length;
        if (quantizedBins >= bins) return absMax;
        double best = double.PositiveInfinity;
        int bestI = bins;
        var p = new double[bins];
        var q = new double[bins];
        for (int i = quantizedBins; i <= bins; i++)
        {
            // Reference: the first i bins, with the clipped tail folded into the last one.
            Array.Clear(p);
            Array.Copy(absHist, p, i);
            double outliers = 0;
            for (int k = i; k < bins; k++) outliers += absHist[k];
            p[i - 1] += outliers;
            // Candidate: merge the i bins into quantizedBins groups, spread each group over its non-empty bins.
            Array.Clear(q);
            double per = (double)i / quantizedBins;
            for (int j = 0; j < quantizedBins; j++)
            {
                int start = (int)Math.Floor(j * per), end = j == quantizedBins - 1 ? i : (int)Math.Floor((j + 1) * per);
                double sum = 0; int nonZero = 0;
                for (int k = start; k < end; k++) { sum += absHist[k]; if (absHist[k] != 0) nonZero++; }
                if (nonZero == 0) continue;
                for (int k = start; k < end; k++) if (absHist[k] != 0) q[k] = sum / nonZero;
            }
            double kl = Kl(p, q, i);
            if (kl < best) { best = kl; bestI = i; }
        }
        return absMax * bestI / bins;
    }

    private static double Kl(double[] p, double[] q, int n)
    {
        double ps = 0, qs = 0;
        for (int k = 0; k < n; k++) { ps += p[k]; qs += q[k]; }
        if (ps == 0 || qs == 0) return double.PositiveInfinity;
        double kl = 0;
        for (int k = 0; k < n; k++)
        {
            if (p[k] == 0) continue;
            double pk = p[k] / ps, qk = q[k] / qs;
            kl += qk == 0 ? pk * 20 : pk * Math.Log(pk / qk); // an empty candidate bin under mass is heavily penalised
        }
        return kl;
    }

    /// <summary>
    /// PyTorch HistogramObserver's idea: shrink [start, end] from whichever side holds less mass and keep going while
    /// the expected L2 error of quantizing the histogram into <paramref name="dstBins"/> levels over that range drops.
    /// </summary>
    public static (int Start, int End) L2Search(double[] h, int dstBins)
    {
        int bins = h.Length;
        var cum = new double[bins + 1];
        for (int i = 0; i < bins; i++) cum[i + 1] = cum[i] + h[i];
        double total = cum[bins];
        if (total == 0) return (0, bins - 1);
        int start = 0, end = bins - 1;
        double bestErr = L2Error(h, start, end, dstBins);
        double alpha = 0, beta = 1, step = 1.0 / bins;
        while (alpha < beta)
        {
            double nextAlpha = alpha + step, nextBeta = beta - step;
            int l = start, r = end;
            while (l < end && cum[l + 1] < nextAlpha * total) l++;
            while (r > start && cum[r] > nextBeta * total) r--;
            int ns = start, ne = end;
            if (l - start > end - r) { ns = l; alpha = nextAlpha; }
            else { ne = r; beta = nextBeta; }
            if (ns == start && ne == end) continue;
            double err = L2Error(h, ns, ne, dstBins);
            if (err > bestErr) break;
            bestErr = err; start = ns; end = ne;
        }
        return (start, end);
    }

    /// <summary>Expected squared error (in bin units) of quantizing the histogram to dstBins levels over bins [start, end].</summary>
    public static double L2Error(double[] h, int start, int end, int dstBins)
    {
        double lo = start, hi = end + 1.0;
        double delta = (hi - lo) / dstBins;
        double rounding = delta * delta / 12.0;
        double err = 0;
        for (int i = 0; i < h.Length; i++)
        {
            if (h[i] == 0) continue;
            double c = i + 0.5;
            if (c < lo) { double d = lo - c; err += h[i] * (d * d + 1.0 / 12); }
            else if (c > hi) { double d = c - hi; err += h[i] * (d * d + 1.0 / 12); }
            else err += h[i] * rounding;
        }
        return err;
    }
}
