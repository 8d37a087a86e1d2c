using FpQuant.Datasets;
using FpQuant.Evaluation;
using FpQuant.Geometry;
using FpQuant.Rendering;

namespace FpQuant.Tests.Evaluation;

/// <summary>VSD as BOP defines it, on cases worked out by hand.</summary>
[Trait("Category", "Quick")]
public class VsdTests
{
    private static readonly CameraIntrinsics K = new(500, 500, 50, 50);
    private const int W = 100, H = 100;

    [Fact]
    public void FourPixels_WorkedByHand()
    {
        // Pixel 0: both rendered at the test surface. Pixel 1: the estimate 25 mm behind the test surface (hidden by
        // delta's test) but counted visible because the truth is visible there. Pixel 2: only the truth. Pixel 3:
        // only the estimate. Union 4, intersection {0, 1}; pixel 1 differs by 25 mm = 0.25 of the 100 mm diameter,
        // wrong for tau 0.05..0.25 (5 taus): e = (1 + 2) / 4 there and (0 + 2) / 4 above.
        float[] est = { 1000, 1025, 0, 1000 }, gt = { 1000, 1000, 1000, 0 }, test = { 1000, 1000, 1000, 1000 };
        var e = Vsd.Errors(est, gt, test, 15, 100);
        Assert.Equal(new[] { 0.75, 0.75, 0.75, 0.75, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5 }, e);
        // Missing test depth (0) hides nothing; an estimate 25 mm in front of the test surface is visible.
        Assert.Equal(Enumerable.Repeat(0.0, 10),
            Vsd.Errors(new float[] { 990 }, new float[] { 990 }, new float[] { 0 }, 15, 100));
        // Nothing rendered anywhere: error 1 (BOP's convention).
        Assert.Equal(Enumerable.Repeat(1.0, 10),
            Vsd.Errors(new float[] { 0 }, new float[] { 0 }, new float[] { 500 }, 15, 100));
    }

    [Fact]
    public void AverageRecall_WorkedByHand()
    {
        // Errors of 0.12 at every tau are below 8 of the 10 thresholds (0.15..0.5).
        var e = Enumerable.Repeat(0.12, 10).ToArray();
        Assert.Equal(0.8, Vsd.AverageRecall(new[] { e }), 12);
        // A missing estimate is wrong everywhere.
        Assert.Equal(0.4, Vsd.AverageRecall(new[] { e, null }), 12);
        Assert.Equal(1.0, Vsd.AverageRecall(new[] { new double[10] }), 12);
    }

    /// <summary>A 100 x 100 mm plate facing the camera at 1 m: it covers pixels 25..75 in both directions.</summary>
    private static TriMesh Plate() =>
        new(new float[] { -50, -50, 0, 50, -50, 0, 50, 50, 0, -50, 50, 0 }, new[] { 0, 3, 2, 0, 2, 1 });

    private static float[] RenderDepth(TriMesh m, Pose p)
    {
        var t = new RenderTarget(W, H);
        Rasterizer.Rasterize(m, p, K, t);
        return t.Depth;
    }

    [Fact]
    public void IdenticalPose_IsZero_AndATranslationAlongTheViewIsWrongFromItsTau()
    {
        var plate = Plate();
        var gt = new Pose(Mat3.Identity, new Vec3(0, 0, 1000));
        var vsd = new VsdInstance(plate, K, W, H, RenderDepth(plate, gt), gt, 141.42);
        Assert.All(vsd.Errors(gt), e => Assert.Equal(0, e));
        // 30 mm further away: hidden by the test surface beyond delta, but visible where the truth is; the plate
        // covers slightly fewer pixels (they are then only the truth's). Distances differ by 30-31 mm = 0.21-0.22 of
        // the diameter: every pixel wrong up to tau 0.2, none from tau 0.25.
        var far = vsd.Errors(new Pose(Mat3.Identity, new Vec3(0, 0, 1030)));
        for (int k = 0; k < 4; k++) Assert.Equal(1, far[k]);
        for (int k = 5; k < 10; k++) Assert.InRange(far[k], 0.03, 0.1);
    }

    [Fact]
    public void BehindAnOccluder_OnlyTheVisiblePartCounts()
    {
        var plate = Plate();
        var gt = new Pose(Mat3.Identity, new Vec3(0, 0, 1000));
        // The test image: the plate, with its left half (columns < 50) hidden by a wall at 500 mm.
        var test = RenderDepth(plate, gt);
        for (int v = 0; v < H; v++) for (int u = 0; u < 50; u++) test[v * W + u] = 500;
        var vsd = new VsdInstance(plate, K, W, H, test, gt, 141.42);
        Assert.All(vsd.Errors(gt), e => Assert.Equal(0, e));
        // An estimate that differs from the truth only behind the wall: the plate moved 40 mm left. Its visible
        // part (columns 50..55) coincides with the truth there; the truth's columns 55..75 are not covered by it:
        // about 20 of 26 visible columns wrong, at every tau.
        var left = vsd.Errors(new Pose(Mat3.Identity, new Vec3(-40, 0, 1000)));
        Assert.All(left, e => Assert.InRange(e, 20.0 / 27, 21.0 / 25));
        // An estimate entirely behind the wall: nothing of it is visible, so all of the truth's visible part is
        // missed: error 1, although most of the truth's silhouette (the hidden half) coincides with it.
        var hidden = vsd.Errors(new Pose(Mat3.Identity, new Vec3(-60, 0, 1000)));
        Assert.All(hidden, e => Assert.Equal(1, e));
    }

    [Fact]
    public void SymmetricObject_AHalfTurnSymmetryIsZero_AQuarterTurnIsNot()
    {
        var box = OccluderBox.Create();
        var mm = new float[box.Positions.Length];
        for (int i = 0; i < mm.Length; i++) mm[i] = box.Positions[i] * 1000;
        var boxMm = new TriMesh(mm, box.Triangles);
        var k = new CameraIntrinsics(600, 600, 160, 120);
        var gt = new Pose(Mat3.UniformRotation(0.2, 0.4, 0.7), new Vec3(10, -5, 600));
        var t = new RenderTarget(320, 240);
        Rasterizer.Rasterize(boxMm, gt, k, t);
        var vsd = new VsdInstance(boxMm, k, 320, 240, t.Depth, gt, 118.7);
        foreach (var s in OccluderBox.Symmetries)
        {
            var e = vsd.Errors(gt * s);
            // The same surface: equal up to the rasterizer's rounding along the silhouette (a few pixels).
            Assert.All(e, x => Assert.True(x < 0.01, $"{x}"));
        }
        // A quarter turn about z is not a symmetry (90 x 60 mm sides): much of the surface moves.
        var quarter = vsd.Errors(gt * new Pose(new Mat3(0, -1, 0, 1, 0, 0, 0, 0, 1), default));
        Assert.True(quarter[0] > 0.2, $"{quarter[0]}");
    }

    [Fact]
    public void DistanceImage_IsTheDistanceFromTheCameraCentre()
    {
        // pixel u at x' = u / 10
        var d = Vsd.DistanceImage(new float[] { 0, 1000, 1000 }, new CameraIntrinsics(10, 10, 0, 0), 3, 1);
        Assert.Equal(0, d[0]);
        Assert.Equal(1000 * Math.Sqrt(1 + 0.01), d[1], 2);
        Assert.Equal(1000 * Math.Sqrt(1 + 0.04), d[2], 2);
    }
}
