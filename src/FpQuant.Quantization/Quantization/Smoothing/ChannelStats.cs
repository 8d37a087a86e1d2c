namespace FpQuant.Quantization.Smoothing;

/// <summary>
/// What calibration saw of one activation, per last-axis channel: min, max and max |x|, and a bounded sample of its
/// rows (at most <see cref="RowsPerBatch"/> evenly spaced rows of each batch, <see cref="MaxRows"/> in all), which
/// the per-layer alpha search multiplies by the weights.
/// </summary>
internal sealed class ChannelStats
{
    /// <summary>Rows kept from one batch.</summary>
    public const int RowsPerBatch = 64;
    /// <summary>Rows kept in all: the search's memory and time stay bounded whatever the calibration set.</summary>
    public const int MaxRows = 256;

    private readonly List<float> _sample = new();

    public ChannelStats(int channels)
    {
        Channels = channels;
        AbsMax = new float[channels];
        Min = Enumerable.Repeat(float.PositiveInfinity, channels).ToArray();
        Max = Enumerable.Repeat(float.NegativeInfinity, channels).ToArray();
    }

    public int Channels { get; }
    public float[] AbsMax { get; }
    public float[] Min { get; }
    public float[] Max { get; }
    /// <summary>The sampled rows, row-major [<see cref="SampleRows"/>, <see cref="Channels"/>].</summary>
    public float[] Sample => _sample.ToArray();
    public int SampleRows => _sample.Count / Channels;

    /// <summary>The statistics of one batch of rows.</summary>
    public static ChannelStats FromRows(float[] rows, int channels)
    {
        var s = new ChannelStats(channels);
        s.Add(rows);
        return s;
    }

    /// <summary>Adds one batch: <paramref name="data"/> is any tensor whose last axis is the channel.</summary>
    public void Add(float[] data)
    {
        int k = Channels, rows = data.Length / k;
        for (int i = 0; i < rows * k; i++)
        {
            float v = data[i];
            int c = i % k;
            if (v < Min[c]) Min[c] = v;
            if (v > Max[c]) Max[c] = v;
            float a = MathF.Abs(v);
            if (a > AbsMax[c]) AbsMax[c] = a;
        }
        int stride = Math.Max(1, (rows + RowsPerBatch - 1) / RowsPerBatch);
        for (int r = 0; r < rows && SampleRows < MaxRows; r += stride)
            _sample.AddRange(data.AsSpan(r * k, k));
    }
}

/// <summary>One consumer's weight as [<see cref="Rows"/> = k input channels, <see cref="Columns"/> outputs].</summary>
internal sealed record LayerWeight(float[] Values, int Rows, int Columns);

/// <summary>One smoothed activation X with its statistics, the weights of the MatMul/Gemm nodes reading it and
/// max |W_j| over row j of all of them: what choosing its alpha needs.</summary>
internal sealed record SmoothingLayer(string Tensor, ChannelStats X, IReadOnlyList<LayerWeight> Weights,
    float[] WeightAbsMax)
{
    /// <summary>SmoothQuant's s_j = max|X_j|^alpha / max|W_j|^(1 - alpha), 1 for a channel that is zero on either
    /// side, clamped to [1e-5, 1e5].</summary>
    public float[] Scales(double alpha)
    {
        int k = X.Channels;
        var s = new float[k];
        for (int j = 0; j < k; j++)
        {
            float x = X.AbsMax[j], w = WeightAbsMax[j];
            double v = x > 0 && w > 0 ? Math.Pow(x, alpha) / Math.Pow(w, 1 - alpha) : 1;
            s[j] = (float)Math.Clamp(double.IsFinite(v) ? v : 1, 1e-5, 1e5);
        }
        return s;
    }
}
