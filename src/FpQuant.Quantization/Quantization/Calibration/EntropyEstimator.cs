namespace FpQuant.Quantization.Calibration;

/// <summary>
/// KL-divergence threshold search (the TensorRT method ONNX Runtime's entropy calibrator follows) on a histogram of
/// |x| over [0, absmax]: the symmetric range whose quantized distribution diverges least from the observed one.
/// </summary>
internal sealed class EntropyEstimator : IRangeEstimator
{
    /// <summary>The divergence charged per unit of reference mass that falls in an empty candidate bin (log(p/0) is
    /// infinite; a large finite charge keeps such thresholds ranked instead of all tied).</summary>
    public const double EmptyBinPenalty = 20;

    public bool NeedsHistogram => true;
    public bool HistogramOfAbs(QuantizationOptions options) => true;

    public CalibrationRange ChooseRange(TensorStatistics s, QuantizationOptions o)
    {
        float t = Threshold(s.Histogram!, s.HistHi, o.QuantizedBins);
        return RangeSelection.Clip(s, -t, t);
    }

    /// <summary>
    /// For each candidate threshold, clip the reference distribution there, quantize it to
    /// <paramref name="quantizedBins"/> levels, and keep the threshold with the smallest divergence.
    /// </summary>
    public static float Threshold(double[] absHist, float absMax, int quantizedBins)
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
            kl += qk == 0 ? pk * EmptyBinPenalty : pk * Math.Log(pk / qk);
        }
        return kl;
    }
}
