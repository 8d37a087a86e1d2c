using FpQuant.Evaluation;

namespace FpQuant.Tests.Evaluation;

/// <summary>Recall summaries against sums done by hand.</summary>
[Trait("Category", "Quick")]
public class RecallTests
{
    [Fact]
    public void Auc_IntegratesTheAccuracyCurveExactly()
    {
        // Each error under 100 mm adds (100 - e) / 100: (1 + 0.5 + 0 + 0) / 4.
        Assert.Equal(0.375, Recall.Auc(new[] { 0.0, 50, 100, 200 }), 12);
        Assert.Equal(0.75, Recall.Auc(new[] { 25.0 }), 12);
        Assert.Equal(0, Recall.Auc(new[] { double.PositiveInfinity }), 12);
        // The curve it integrates: the trapezoid sum of the sampled curve approaches it.
        var errors = new[] { 10.0, 35, 80, 120 };
        var (t, r) = Recall.Curve(errors, 100, 10_000);
        double area = 0;
        for (int i = 1; i < t.Length; i++) area += (t[i] - t[i - 1]) * (r[i] + r[i - 1]) / 2;
        Assert.Equal(Recall.Auc(errors), area / 100, 3);
    }

    [Fact]
    public void AddOrAdds_UsesAddsForSymmetricObjectsOnly()
    {
        var e = new[] { (AddMm: 30.0, AddsMm: 5.0, Symmetric: true, DiameterMm: 100.0),
            (AddMm: 30.0, AddsMm: 5.0, Symmetric: false, DiameterMm: 100.0) };
        Assert.Equal(0.5, Recall.AddOrAddsBelow(e), 12);
        Assert.Equal(1.0, Recall.AddOrAddsBelow(e, 0.31), 12);
    }

    [Fact]
    public void ArMssd_AveragesBopsTenThresholds()
    {
        // Diameter 100: 4 mm passes all ten (5..50), 26 mm passes 30..50 (five), 60 mm none: 15 / 30.
        Assert.Equal(0.5, Recall.ArMssd(new[] { (4.0, 100.0), (26.0, 100.0), (60.0, 100.0) }), 12);
    }

    [Fact]
    public void ArMspd_ScalesThresholdsWithTheImageWidth()
    {
        // 640 wide: 4.9 px passes all ten, 12 px passes 15..50 (eight): 18 / 20.
        Assert.Equal(0.9, Recall.ArMspd(new[] { (4.9, 640), (12.0, 640) }), 12);
        // 1280 wide: thresholds 10..100; 12 px passes 20..100 (nine): 19 / 20.
        Assert.Equal(0.95, Recall.ArMspd(new[] { (4.9, 1280), (12.0, 1280) }), 12);
    }
}
