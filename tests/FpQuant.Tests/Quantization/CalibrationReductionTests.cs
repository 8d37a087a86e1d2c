using FpQuant.Core;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Quantization;

/// <summary>Min/max calibration reduces each tensor inside the model (two scalars per tensor a run) instead of
/// returning every activation: the ranges must be exactly those the full activations give.</summary>
[Trait("Category", "Quick")]
public class CalibrationReductionTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    private static List<Dictionary<string, FloatTensor>> Batches(int count)
    {
        var rng = new Random(7);
        return Enumerable.Range(0, count).Select(b =>
        {
            var x = new FloatTensor(2, 3, 8, 8);
            for (int i = 0; i < x.Data.Length; i++) x.Data[i] = (float)(rng.NextDouble() * 4 - 2) * (b + 1);
            return new Dictionary<string, FloatTensor> { ["X"] = x };
        }).ToList();
    }

    private static Dictionary<string, CalibrationRange> Collect(QuantizationOptions o, int batches)
    {
        var model = TinyModels.Conv(relu: true);
        var tensors = QuantizationPlan.Make(model.Graph, o).TensorsToCalibrate().ToList();
        return Calibrator.Collect(model, "tiny conv", tensors, new InMemoryInputSource(Batches(batches)), o, Cpu);
    }

    [Fact]
    public void ReducedMinMax_EqualsTheFullActivationsObservedRange_ForEveryTensor()
    {
        var reduced = Collect(new QuantizationOptions(), 5);
        // A histogram method takes every activation back out of the model; its observed range is the plain min/max.
        var full = Collect(new QuantizationOptions { Calibration = CalibrationMethod.Percentile }, 5);
        Assert.True(reduced.Count >= 2, $"{reduced.Count} tensors calibrated");
        Assert.Equal(full.Keys.Order(StringComparer.Ordinal), reduced.Keys.Order(StringComparer.Ordinal));
        foreach (var (t, r) in reduced)
        {
            Assert.Equal(full[t].ObservedMin, r.Min);
            Assert.Equal(full[t].ObservedMax, r.Max);
        }
    }

    [Fact]
    public void ReducedMinMax_MovingAverage_FollowsEachBatchsOwnMinAndMax()
    {
        var batches = Batches(4);
        var o = new QuantizationOptions { MovingAverage = 0.5 };
        var r = Collect(o, 4)["X"];
        // What the activations themselves give, batch by batch, through the same range selection.
        var stats = new TensorStatistics();
        foreach (var b in batches) stats.AddMinMax(b["X"].Data, o.MovingAverage);
        var expected = RangeSelection.Select(stats, o);
        Assert.Equal(4, stats.Batches);
        Assert.NotEqual(stats.Min, (float)stats.AvgMin);
        Assert.Equal(expected.Min, r.Min);
        Assert.Equal(expected.Max, r.Max);
    }
}
