using FpQuant.Core;

namespace FpQuant.Quantization;

/// <summary>
/// The scale and zero-point arithmetic of spec "quantization.md" (ONNX Runtime's compute_scale_zp):
/// zero is always representable, symmetric ranges centre on zero, scale is computed in double and stored as
/// float, a degenerate range gets scale 1, and values round half to even before saturating.
/// </summary>
internal static class QuantMath
{
    /// <summary>Smallest normal float32 (numpy's finfo(float32).tiny).</summary>
    public const float Tiny = 1.17549435e-38f;

    /// <param name="fullSymmetric">PyTorch's symmetric rule: keep the whole s8 interval [-128,127] and use
    /// scale = absmax / 127.5 (as its MinMaxObserver does) instead of ONNX Runtime's restricted [-127,127].</param>
    public static QRange Range(QuantType type, bool symmetric, bool reduceRange, bool fullSymmetric = false)
    {
        if (reduceRange) return type == QuantType.U8 ? new QRange(0, 127) : new QRange(-64, 64);
        if (symmetric && !fullSymmetric) return type == QuantType.U8 ? new QRange(0, 254) : new QRange(-127, 127);
        return type == QuantType.U8 ? new QRange(0, 255) : new QRange(-128, 127);
    }

    public static (float Scale, int ZeroPoint) ScaleZeroPoint(double rmin, double rmax, QRange q, bool symmetric)
    {
        if (double.IsNaN(rmin) || double.IsNaN(rmax))
            throw new FpQuantException("a quantization range is NaN; the calibration data contain NaN");
        rmin = Math.Min(rmin, 0);
        rmax = Math.Max(rmax, 0);
        if (symmetric)
        {
            double absmax = Math.Max(Math.Abs(rmin), Math.Abs(rmax));
            rmin = -absmax;
            rmax = absmax;
        }
        float scale = (float)((rmax - rmin) / (q.Max - q.Min));
        if (scale < Tiny) return (1f, 0);
        int zp = symmetric
            ? (int)Math.Round((q.Min + q.Max) / 2.0, MidpointRounding.ToEven)
            : (int)Math.Round(q.Min - rmin / scale, MidpointRounding.ToEven);
        return (scale, Math.Clamp(zp, q.Min, q.Max));
    }

    public static int Quantize(float x, float scale, int zp, QRange q)
    {
        float v = MathF.Round(x / scale, MidpointRounding.ToEven);
        if (float.IsNaN(v)) return zp;
        double r = (double)v + zp;
        return (int)Math.Clamp(r, q.Min, q.Max);
    }

    public static float Dequantize(int q, float scale, int zp) => (q - zp) * scale;

    /// <summary>Quantizes a weight per tensor or per channel along <paramref name="axis"/>.</summary>
    public static (int[] Values, QuantParams Params) QuantizeWeight(FloatTensor w, QuantType type, bool symmetric,
        bool reduceRange, int? axis, bool fullSymmetric = false)
    {
        var q = Range(type, symmetric, reduceRange, fullSymmetric);
        var values = new int[w.Length];
        if (axis == null)
        {
            var (mn, mx) = MinMax(w.Data);
            var (s, zp) = fullSymmetric && symmetric ? TorchSymmetric(mn, mx, q) : ScaleZeroPoint(mn, mx, q, symmetric);
            for (int i = 0; i < values.Length; i++) values[i] = Quantize(w.Data[i], s, zp, q);
            return (values, QuantParams.PerTensor(s, zp, type));
        }
        int ax = axis.Value;
        int channels = w.Shape[ax];
        long inner = 1;
        for (int d = ax + 1; d < w.Rank; d++) inner *= w.Shape[d];
        long outer = w.Length / (channels * inner);
        var scales = new float[channels];
        var zps = new int[channels];
        for (int c = 0; c < channels; c++)
        {
            float mn = float.PositiveInfinity, mx = float.NegativeInfinity;
            for (long o = 0; o < outer; o++)
                for (long i = 0; i < inner; i++)
                {
                    float v = w.Data[(o * channels + c) * inner + i];
                    if (v < mn) mn = v;
                    if (v > mx) mx = v;
                }
            (scales[c], zps[c]) = fullSymmetric
                && symmetric ? TorchSymmetric(mn, mx, q) : ScaleZeroPoint(mn, mx, q, symmetric);
            for (long o = 0; o < outer; o++)
                for (long i = 0; i < inner; i++)
                {
                    long k = (o * channels + c) * inner + i;
                    values[k] = Quantize(w.Data[k], scales[c], zps[c], q);
                }
        }
        return (values, new QuantParams(scales, zps, type, ax));
    }

    /// <summary>
    /// PyTorch's symmetric observer rule: scale = absmax / ((qmax - qmin) / 2), zero point 0 (s8) or 128 (u8).
    /// </summary>
    public static (float Scale, int ZeroPoint) TorchSymmetric(double rmin, double rmax, QRange q)
    {
        double absmax = Math.Max(Math.Abs(Math.Min(rmin, 0)), Math.Abs(Math.Max(rmax, 0)));
        float scale = (float)(absmax / ((q.Max - q.Min) / 2.0));
        if (scale < Tiny) return (1f, q.Min < 0 ? 0 : (q.Min + q.Max + 1) / 2);
        return (scale, q.Min < 0 ? 0 : (q.Min + q.Max + 1) / 2);
    }

    /// <summary>
    /// Bias as int32 with scale input_scale * weight_scale (per channel when the weight is) and zero point 0.
    /// </summary>
    public static (int[] Values, float[] Scales) QuantizeBias(float[] bias, float inputScale, float[] weightScales)
    {
        var scales = new float[weightScales.Length];
        for (int i = 0; i < scales.Length; i++) scales[i] = inputScale * weightScales[i];
        var values = new int[bias.Length];
        for (int i = 0; i < bias.Length; i++)
        {
            float s = scales.Length == 1 ? scales[0] : scales[i];
            double v = s < Tiny ? 0 : Math.Round((double)bias[i] / s, MidpointRounding.ToEven);
            values[i] = (int)Math.Clamp(v, int.MinValue, int.MaxValue);
        }
        return (values, scales);
    }

    public static (float Min, float Max) MinMax(ReadOnlySpan<float> x)
    {
        float mn = float.PositiveInfinity, mx = float.NegativeInfinity;
        foreach (var v in x) { if (v < mn) mn = v; if (v > mx) mx = v; }
        if (x.Length == 0) return (0, 0);
        return (mn, mx);
    }

    /// <summary>
    /// Signal-to-quantization-noise ratio in dB: 20 log10(||x|| / ||x - y||), both norms floored at epsilon.
    /// </summary>
    public static double Sqnr(ReadOnlySpan<float> reference, ReadOnlySpan<float> test)
    {
        if (reference.Length != test.Length) throw new ArgumentException("SQNR needs tensors of the same size");
        double s = 0, n = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double r = reference[i], d = r - test[i];
            s += r * r;
            n += d * d;
        }
        const double eps = 2.220446049250313e-16;
        return 20 * Math.Log10(Math.Max(Math.Sqrt(s), eps) / Math.Max(Math.Sqrt(n), eps));
    }
}
