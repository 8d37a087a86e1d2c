using FpQuant.Core;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Quantization;

[Trait("Category", "Quick")]
public class CalibrationTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    private static QuantizationResult Calibrate(float[] values, QuantizationOptions? o = null)
    {
        var m = TinyModels.MatMulWeight();
        var batch =
            new Dictionary<string, FloatTensor> { ["X"] = new FloatTensor(new[] { values.Length / 16, 16 }, values) };
        return ModelQuantizer.Quantize(m, "tiny", o ?? new QuantizationOptions(), null,
            new InMemoryInputSource(new[] { batch }), Cpu);
    }

    [Theory]
    [InlineData(CalibrationMethod.MinMax)]
    [InlineData(CalibrationMethod.Percentile)]
    [InlineData(CalibrationMethod.Entropy)]
    [InlineData(CalibrationMethod.HistogramL2)]
    public void AllZeroTensor_GetsScaleOne_NoDivisionByZero(CalibrationMethod method)
    {
        var r = Calibrate(new float[32], new QuantizationOptions { Calibration = method });
        Assert.Equal(1f, r.Params["X"].Scale[0]);
        Assert.Equal(0, r.Params["X"].ZeroPoint[0]);
        using var tmp = new TempDir();
        var y = TinyModels.Run(r.Model, new() { ["X"] = new FloatTensor(2, 16) }, tmp.Path, "q")[0].Value;
        Assert.All(y.Data, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(CalibrationMethod.MinMax)]
    [InlineData(CalibrationMethod.Percentile)]
    [InlineData(CalibrationMethod.Entropy)]
    [InlineData(CalibrationMethod.HistogramL2)]
    public void ConstantTensor_RangeSpansZeroToTheConstant(CalibrationMethod method)
    {
        var r = Calibrate(Enumerable.Repeat(3f, 32).ToArray(), new QuantizationOptions { Calibration = method });
        var range = r.Ranges["X"];
        Assert.Equal(3f, range.Max);
        Assert.Equal(3f, range.Min);
        Assert.Equal(3f / 255, r.Params["X"].Scale[0], 7);
        Assert.Equal(0, r.Params["X"].ZeroPoint[0]);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "infinite")]
    public void NonFiniteInput_IsRefusedNamingTheInput(float bad, string word)
    {
        var values = Enumerable.Range(0, 32).Select(i => (float)i).ToArray();
        values[5] = bad;
        var e = Assert.Throws<FpQuantException>(() => Calibrate(values));
        Assert.Contains("'X'", e.Message);
        Assert.Contains(word, e.Message);
    }

    [Fact]
    public void Percentile_ClipsARareOutlier_MinMaxKeepsIt()
    {
        var values = Enumerable.Range(0, 16 * 4096).Select(i => (i % 100) / 100f).ToArray();
        values[7] = 1000f;
        var minmax = Calibrate(values).Ranges["X"];
        var pct = Calibrate(values,
            new QuantizationOptions { Calibration = CalibrationMethod.Percentile, Percentile = 99.9 }).Ranges["X"];
        Assert.Equal(1000f, minmax.Max);
        Assert.True(pct.Max < 2f, $"percentile max {pct.Max}");
        Assert.Equal(1000f, pct.ObservedMax);
    }

    [Fact]
    public void Entropy_ShrinksALongTail_HistogramL2_KeepsItAtEightBits()
    {
        // Exponentially distributed values. The KL search clips the rare largest ones; the L2 search does not at
        // 8 bits (clipping e^-8 of the mass costs more squared error than the finer step saves), as PyTorch's observer.
        var u = new float[16 * 4096];
        Hashing.FillUniform("exp-tail", 1, u);
        var values = u.Select(x => -MathF.Log((x + 1f) / 2f + 1e-7f)).ToArray();
        var kl = Calibrate(values, new QuantizationOptions { Calibration = CalibrationMethod.Entropy }).Ranges["X"];
        Assert.True(kl.Max >= 2f && kl.Max < kl.ObservedMax, $"entropy range max {kl.Max}, observed {kl.ObservedMax}");
        var l2 = Calibrate(values, new QuantizationOptions { Calibration = CalibrationMethod.HistogramL2 }).Ranges["X"];
        Assert.True(l2.Max > 0.9f * l2.ObservedMax, $"L2 range max {l2.Max}, observed {l2.ObservedMax}");
    }

    [Fact]
    public void L2Search_WithFewLevels_ClipsAThinTail()
    {
        // 100 dense bins and a thin tail of 156 bins: with 4 levels the rounding error of the full range dominates.
        var h = Enumerable.Range(0, 256).Select(i => i < 100 ? 1000.0 : 1.0).ToArray();
        var (start, end) = HistogramL2Estimator.Search(h, 4);
        Assert.Equal(0, start);
        Assert.True(end < 200, $"end bin {end}");
        Assert.True(HistogramL2Estimator.Error(h, start, end, 4) < HistogramL2Estimator.Error(h, 0, 255, 4));
    }

    [Fact]
    public void L2Search_OnAUniformHistogram_KeepsTheWholeRange()
    {
        var h = Enumerable.Repeat(10.0, 256).ToArray();
        var (start, end) = HistogramL2Estimator.Search(h, 256);
        Assert.Equal(0, start);
        Assert.Equal(255, end);
    }
}
