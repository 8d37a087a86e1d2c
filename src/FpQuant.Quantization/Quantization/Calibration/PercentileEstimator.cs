namespace FpQuant.Quantization.Calibration;

/// <summary>Clips the given percentile of the values: of |x| when activations are symmetric, else the same share
/// from each tail.</summary>
internal sealed class PercentileEstimator : IRangeEstimator
{
    public bool NeedsHistogram => true;
    public bool HistogramOfAbs(QuantizationOptions options) => options.SymmetricActivations;

    public CalibrationRange ChooseRange(TensorStatistics s, QuantizationOptions o)
    {
        var h = s.Histogram!;
        double total = h.Sum();
        if (s.HistOfAbs)
        {
            int b = RangeSelection.CumulativeIndex(h, total * o.Percentile / 100.0);
            float t = s.BinEdge(b + 1);
            return RangeSelection.Clip(s, -t, t);
        }
        double tail = total * (100.0 - o.Percentile) / 200.0;
        int lo = RangeSelection.CumulativeIndex(h, tail);
        int hi = RangeSelection.CumulativeIndex(h, total - tail);
        return RangeSelection.Clip(s, s.BinEdge(lo), s.BinEdge(hi + 1));
    }
}
