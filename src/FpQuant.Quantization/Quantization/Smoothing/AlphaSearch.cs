using System.Numerics;
using System.Runtime.InteropServices;

namespace FpQuant.Quantization.Smoothing;

/// <summary>
/// Per-layer smoothing strength: for each smoothed activation X, the alpha of <see cref="Grid"/> whose int8 layer
/// output is closest to float, sum over the readers' weights W of ||X W - Q(X / s) Q(s W)||^2 on the calibration
/// rows <see cref="ChannelStats"/> kept. Q(X / s) is per tensor over the range calibration saw (min and max of
/// X_j / s_j over the channels, what MinMax calibration would measure after smoothing) in the recipe's activation
/// type; Q(s W) is per output channel in its weight type. Local and cheap: no model runs per alpha.
/// </summary>
internal sealed class AlphaSearch
{
    /// <summary>The strengths tried: 0.30 to 0.90 in steps of 0.05 (SmoothQuant's 0.5 and the fixed candidates 0.65
    /// and 0.8 among them).</summary>
    public static readonly IReadOnlyList<double> Grid =
        Enumerable.Range(0, 13).Select(i => Math.Round(0.30 + 0.05 * i, 2)).ToArray();

    private readonly QRange _act, _weight;
    private readonly bool _actSymmetric, _weightSymmetric;

    public AlphaSearch(QuantType activationType, bool symmetricActivations, bool reduceRangeActivations,
        QuantType weightType, bool symmetricWeights, bool reduceRangeWeights)
    {
        _act = QuantMath.Range(activationType, symmetricActivations, reduceRangeActivations);
        _weight = QuantMath.Range(weightType, symmetricWeights, reduceRangeWeights);
        (_actSymmetric, _weightSymmetric) = (symmetricActivations, symmetricWeights);
    }

    /// <summary>The search for a recipe's own activation and weight types (reduce-range as resolved).</summary>
    public static AlphaSearch For(QuantizationOptions o) => new(o.ActivationType, o.SymmetricActivations,
        o.ReduceRangeActivations, o.WeightType, o.SymmetricWeights, o.ReduceRange ?? false);

    /// <summary>The alpha of <see cref="Grid"/> with the least layer error (the smaller on a tie); SmoothQuant's
    /// default when calibration kept no rows.</summary>
    public double Best(SmoothingLayer layer)
    {
        if (layer.X.SampleRows == 0) return SmoothingPass.DefaultAlpha;
        var x = layer.X.Sample;
        var reference = layer.Weights.Select(w => MatMul(x, layer.X.SampleRows, w.Values, w.Rows, w.Columns)).ToList();
        double best = double.NaN, bestError = double.PositiveInfinity;
        foreach (double a in Grid)
        {
            double e = Error(layer, x, reference, a);
            if (e < bestError) (best, bestError) = (a, e);
        }
        return double.IsNaN(best) ? SmoothingPass.DefaultAlpha : best;
    }

    /// <summary>The layer's squared output error at <paramref name="alpha"/>, summed over its readers.</summary>
    public double LayerError(SmoothingLayer layer, double alpha)
    {
        var x = layer.X.Sample;
        var reference = layer.Weights.Select(w => MatMul(x, layer.X.SampleRows, w.Values, w.Rows, w.Columns)).ToList();
        return Error(layer, x, reference, alpha);
    }

    private double Error(SmoothingLayer layer, float[] x, List<float[]> reference, double alpha)
    {
        int k = layer.X.Channels, rows = layer.X.SampleRows;
        var s = layer.Scales(alpha);
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int j = 0; j < k; j++)
        {
            lo = Math.Min(lo, layer.X.Min[j] / s[j]);
            hi = Math.Max(hi, layer.X.Max[j] / s[j]);
        }
        var (scale, zp) = QuantMath.ScaleZeroPoint(lo, hi, _act, _actSymmetric);
        var qx = new float[rows * k];
        for (int i = 0; i < qx.Length; i++)
            qx[i] = QuantMath.Dequantize(QuantMath.Quantize(x[i] / s[i % k], scale, zp, _act), scale, zp);
        double error = 0;
        for (int c = 0; c < layer.Weights.Count; c++)
        {
            var w = layer.Weights[c];
            var qw = QuantizeColumns(w, s);
            var y = MatMul(qx, rows, qw, k, w.Columns);
            var r = reference[c];
            for (int i = 0; i < y.Length; i++) { double d = r[i] - y[i]; error += d * d; }
        }
        return error;
    }

    /// <summary>s_j W[j, q], quantized and dequantized per output column q.</summary>
    private float[] QuantizeColumns(LayerWeight w, float[] s)
    {
        int k = w.Rows, n = w.Columns;
        var v = new float[k * n];
        for (int j = 0; j < k; j++) for (int q = 0; q < n; q++) v[j * n + q] = w.Values[j * n + q] * s[j];
        for (int q = 0; q < n; q++)
        {
            float mn = float.PositiveInfinity, mx = float.NegativeInfinity;
            for (int j = 0; j < k; j++) { float a = v[j * n + q]; if (a < mn) mn = a; if (a > mx) mx = a; }
            var (scale, zp) = QuantMath.ScaleZeroPoint(mn, mx, _weight, _weightSymmetric);
            for (int j = 0; j < k; j++)
                v[j * n + q] = QuantMath.Dequantize(QuantMath.Quantize(v[j * n + q], scale, zp, _weight), scale, zp);
        }
        return v;
    }

    /// <summary>a [rows, k] times b [k, n], row by row, each output element summed over k in order.</summary>
    private static float[] MatMul(float[] a, int rows, float[] b, int k, int n)
    {
        var y = new float[rows * n];
        int width = Vector<float>.Count, whole = n / width * width;
        for (int r = 0; r < rows; r++)
        {
            var acc = y.AsSpan(r * n, n);
            var accV = MemoryMarshal.Cast<float, Vector<float>>(acc[..whole]);
            for (int j = 0; j < k; j++)
            {
                float av = a[r * k + j];
                if (av == 0) continue;
                var bRow = b.AsSpan(j * n, n);
                var bV = MemoryMarshal.Cast<float, Vector<float>>(bRow[..whole]);
                var va = new Vector<float>(av);
                for (int i = 0; i < accV.Length; i++) accV[i] += va * bV[i];
                for (int q = whole; q < n; q++) acc[q] += av * bRow[q];
            }
        }
        return y;
    }
}
