using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Tests.Benchmark;

[Trait("Category", "Quick")]
public class StatisticsTests
{
    [Fact]
    public void Summary_MedianMinMax()
    {
        Assert.Equal(new Summary(3, 1, 9, 3), Summary.Of(new[] { 9.0, 1, 3 }));
        Assert.Equal(new Summary(2.5, 1, 4, 4), Summary.Of(new[] { 4.0, 1, 3, 2 }));
        Assert.True(double.IsNaN(Summary.Of(Array.Empty<double>()).Median));
    }

    [Fact]
    public void AlternatingOrder_RotatesEveryRound()
    {
        Assert.Equal(new[] { 0, 1, 2 }, Statistics.AlternatingOrder(3, 0));
        Assert.Equal(new[] { 1, 2, 0 }, Statistics.AlternatingOrder(3, 1));
        Assert.Equal(new[] { 2, 0, 1 }, Statistics.AlternatingOrder(3, 2));
        // Over as many rounds as variants, each variant runs first exactly once.
        var firsts = Enumerable.Range(0, 4).Select(r => Statistics.AlternatingOrder(4, r)[0]).ToArray();
        Assert.Equal(new[] { 0, 1, 2, 3 }, firsts.OrderBy(x => x));
    }

    [Fact]
    public void Spearman_WithTies_HandComputed()
    {
        // Ranks of a: 1, 2.5, 2.5, 4; of b: 1, 2, 3, 4. Pearson of the ranks = 2.5 / sqrt(4.5 * 5) = 0.9486833.
        Assert.Equal(new[] { 1, 2.5, 2.5, 4 }, Statistics.AverageRanks(new[] { 1.0, 2, 2, 3 }));
        Assert.Equal(0.9486833, Statistics.Spearman(new[] { 1.0, 2, 2, 3 }, new[] { 10.0, 20, 30, 40 }), 6);
        Assert.Equal(1.0, Statistics.Spearman(new[] { 1.0, 2, 3 }, new[] { 5.0, 6, 100 }), 12);
        Assert.Equal(-1.0, Statistics.Spearman(new[] { 1.0, 2, 3 }, new[] { 3.0, 2, 1 }), 12);
    }

    [Fact]
    public void RotationDeviation_OfKnownRotations()
    {
        Assert.Equal(30.0, Mat3.AngleDegrees(Mat3.Identity, Mat3.RotZ(Math.PI / 6)), 9);
        Assert.Equal(90.0, Mat3.AngleDegrees(Mat3.ExpSo3(new Vec3(Math.PI / 2, 0, 0)), Mat3.Identity), 9);
        var r = Mat3.ExpSo3(new Vec3(0.3, -0.2, 0.5));
        Assert.Equal(0.0, Mat3.AngleDegrees(r, r), 6);
        Assert.Equal(new Vec3(0.3, -0.2, 0.5).Norm * 180 / Math.PI, Mat3.AngleDegrees(Mat3.Identity, r), 9);
    }

    [Fact]
    public void Fidelity_OfIdenticalAndShiftedResults()
    {
        var poses = PoseHypotheses.Generate(new Vec3(0, 0, 0.5), 3);
        var a =
            new FirstFrameResult(poses, new[] { 1f, 3f, 2f }, 1, new StageTimes(0, 0, 0, 0, 0, 0, 0), new[] { 1f, 2f });
        var shifted = poses.Select(p => p with { T = p.T + new Vec3(0.002, 0, 0) }).ToList();
        var b = new FirstFrameResult(shifted, new[] { 1f, 2f, 3f }, 2, new StageTimes(0, 0, 0, 0, 0, 0, 0),
            new[] { 1f, 2f });
        var same = BenchRunner.FidelityOf(a, a, 0.2);
        Assert.Equal(1.0, same.ScoreSpearman, 12);
        Assert.True(same.Top1Agrees);
        var f = BenchRunner.FidelityOf(a, b, 0.2);
        Assert.False(f.Top1Agrees);
        Assert.Equal(0.5, f.ScoreSpearman, 12);
        Assert.Equal(1.0, f.TranslationDevMaxPct, 9); // 2 mm of a 200 mm diameter
        Assert.Equal(0.0, f.RotationDevMaxDeg, 9);
    }
}
