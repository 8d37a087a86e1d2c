namespace FpQuant.Quantization.Calibration;

/// <summary>
/// PyTorch HistogramObserver's idea: shrink [start, end] from whichever side holds less mass and keep going while
/// the expected L2 error of quantizing the histogram over that range drops.
/// </summary>
internal sealed class HistogramL2Estimator : IRangeEstimator
{
    public bool NeedsHistogram => true;
    public bool HistogramOfAbs(QuantizationOptions options) => false;

    public CalibrationRange ChooseRange(TensorStatistics s, QuantizationOptions o)
    {
        int dstBins = o.ReduceRangeActivations ? 128 : 256;
        var (lo, hi) = Search(s.Histogram!, dstBins);
        return RangeSelection.Clip(s, s.BinEdge(lo), s.BinEdge(hi + 1));
    }

    /// <summary>
    /// The bin interval [Start, End] with the smallest expected error over <paramref name="dstBins"/> levels.
    /// </summary>
    public static (int Start, int End) Search(double[] h, int dstBins)
    {
        int bins = h.Length;
        var cum = new double[bins + 1];
        for (int i = 0; i < bins; i++) cum[i + 1] = cum[i] + h[i];
        double total = cum[bins];
        if (total == 0) return (0, bins - 1);
        int start = 0, end = bins - 1;
        double bestErr = Error(h, start, end, dstBins);
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
            double err = Error(h, ns, ne, dstBins);
            if (err > bestErr) break;
            bestErr = err; start = ns; end = ne;
        }
        return (start, end);
    }

    /// <summary>
    /// Expected squared error (in bin units) of quantizing the histogram to dstBins levels over bins [start, end].
    /// </summary>
    public static double Error(double[] h, int start, int end, int dstBins)
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
