using FpQuant.Geometry;
using FpQuant.Datasets;
using FpQuant.Evaluation;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;

namespace FpQuant.Tests.Evaluation;

/// <summary>The pose errors against cases worked out by hand.</summary>
[Trait("Category", "Quick")]
public class PoseErrorsTests
{
    /// <summary>The corners of a 100 mm cube centred at the origin.</summary>
    private static readonly float[] Cube = new[] { -50f,
        50f }.SelectMany(x =>
            new[] { -50f, 50f }.SelectMany(y => new[] { -50f, 50f }.SelectMany(z => new[] { x, y, z }))).ToArray();
    private static readonly CameraIntrinsics K = new(600, 600, 320, 240);
    private static readonly Pose Gt = new(Mat3.UniformRotation(0.3, 0.6, 0.1), new Vec3(20, -10, 800));

    private static BopModelInfo Info(IReadOnlyList<Pose>? discrete = null,
        IReadOnlyList<BopContinuousSymmetry>? continuous = null) =>
        new(1, 100, default, default, discrete ?? Array.Empty<Pose>(),
            continuous ?? Array.Empty<BopContinuousSymmetry>());

    [Fact]
    public void AtTheTruePose_EveryErrorIsZero()
    {
        var m = new EvalObjectModel(Info(), Cube);
        var e = PoseErrors.All(m, K, Gt, Gt);
        Assert.Equal(0, e.AddMm, 9);
        Assert.Equal(0, e.AddsMm, 9);
        Assert.Equal(0, e.MssdMm, 9);
        Assert.Equal(0, e.MspdPx, 9);
    }

    [Fact]
    public void AKnownTranslation_GivesItsLength()
    {
        // Every point moves by (3, 4, 0) mm: 5 mm each; the cube's corners are 100 mm apart, so ADD-S is 5 too.
        var m = new EvalObjectModel(Info(), Cube);
        var est = new Pose(Gt.R, Gt.T + new Vec3(3, 4, 0));
        var e = PoseErrors.All(m, K, est, Gt);
        Assert.Equal(5, e.AddMm, 9);
        Assert.Equal(5, e.AddsMm, 9);
        Assert.Equal(5, e.MssdMm, 9);
    }

    [Fact]
    public void AKnownRotation_GivesTheChordOfTheCorners()
    {
        // 90 degrees about z: corner (x, y, z) goes to (-y, x, z); each moves sqrt(2) * 50 * sqrt(2) = 100 mm.
        var m = new EvalObjectModel(Info(), Cube);
        var gt = new Pose(Mat3.Identity, new Vec3(0, 0, 800));
        var est = new Pose(Mat3.RotZ(Math.PI / 2), gt.T);
        Assert.Equal(100, PoseErrors.Add(m.PointsMm, est, gt), 9);
        Assert.Equal(100, PoseErrors.Mssd(m.PointsMm, m.Symmetries, est, gt), 9);
        // The cube's corners map onto each other: ADD-S cannot tell.
        Assert.Equal(0, PoseErrors.Adds(m.PointsMm, m.Tree, est, gt), 9);
    }

    [Fact]
    public void Mspd_IsThePixelShiftThroughTheCamera()
    {
        // A flat square at depth 1000 mm moved 10 mm sideways: every point shifts fx * 10 / 1000 = 6 px.
        var square = new[] { -40f, -40f, 0f, 40f, -40f, 0f, 40f, 40f, 0f, -40f, 40f, 0f, 0f, 0f, 0f };
        var m = new EvalObjectModel(Info(), square);
        var gt = new Pose(Mat3.Identity, new Vec3(0, 0, 1000));
        var est = new Pose(Mat3.Identity, new Vec3(10, 0, 1000));
        Assert.Equal(6, PoseErrors.Mspd(m.PointsMm, m.Symmetries, K, est, gt), 9);
        // Moving away instead: the corner at (40, 40) projects to 24 px from the centre at 1000 mm, 20 px at 1200 mm.
        var farther = new Pose(Mat3.Identity, new Vec3(0, 0, 1200));
        Assert.Equal(4 * Math.Sqrt(2), PoseErrors.Mspd(m.PointsMm, m.Symmetries, K, farther, gt), 9);
    }

    [Fact]
    public void Mspd_UsesFxAcrossAndFyDown_OnACameraWithUnequalFocalLengths()
    {
        // fx = 600, fy = 300 (every other test camera has fx = fy, where a swap cannot show). The flat square stays
        // at depth 1000 mm, so each point shifts alike: 6 mm across is 600 * 6 / 1000 = 3.6 px, 8 mm down is
        // 300 * 8 / 1000 = 2.4 px (swapped: 1.8 and 4.8 px).
        var k = new CameraIntrinsics(600, 300, 320, 240);
        var square = new[] { -40f, -40f, 0f, 40f, -40f, 0f, 40f, 40f, 0f, -40f, 40f, 0f };
        var m = new EvalObjectModel(Info(), square);
        var gt = new Pose(Mat3.Identity, new Vec3(0, 0, 1000));
        Assert.Equal(3.6,
            PoseErrors.Mspd(m.PointsMm, m.Symmetries, k, new Pose(Mat3.Identity, new Vec3(6, 0, 1000)), gt), 9);
        Assert.Equal(2.4,
            PoseErrors.Mspd(m.PointsMm, m.Symmetries, k, new Pose(Mat3.Identity, new Vec3(0, 8, 1000)), gt), 9);
        Assert.Equal(Math.Sqrt(3.6 * 3.6 + 2.4 * 2.4),
            PoseErrors.Mspd(m.PointsMm, m.Symmetries, k, new Pose(Mat3.Identity, new Vec3(6, 8, 1000)), gt), 9);
    }

    [Fact]
    public void ASymmetricBox_HasAddsBelowAdd_AndNoMssdWithItsSymmetries()
    {
        var box = OccluderBox.Create();
        var pts = box.Positions.Select(p => p * 1000).ToArray();
        var half = new Pose(Mat3.RotZ(Math.PI), default);
        var est = Gt * half;
        var plain = new EvalObjectModel(Info(), pts);
        var sym = new EvalObjectModel(Info(OccluderBox.Symmetries), pts);
        double add = PoseErrors.Add(pts, est, Gt), adds = PoseErrors.Adds(pts, plain.Tree, est, Gt);
        Assert.True(add > 30, $"ADD {add}");
        Assert.True(adds < 1e-3, $"ADD-S {adds}");
        Assert.True(PoseErrors.Mssd(pts, plain.Symmetries, est, Gt) > 90); // the farthest corners swap: ~108 mm
        Assert.Equal(0, PoseErrors.Mssd(pts, sym.Symmetries, est, Gt), 6);
        Assert.Equal(0, PoseErrors.Mspd(pts, sym.Symmetries, K, est, Gt), 6);
        Assert.True(PoseErrors.Mspd(pts, plain.Symmetries, K, est, Gt) > 20);
    }

    [Fact]
    public void AContinuousSymmetry_AboutAnOffsetAxis_IsSampledFinely()
    {
        // A ring of radius 30 mm about the z axis through (10, 0, 0); any turn about that axis is a symmetry.
        var ring = Enumerable.Range(0, 360)
            .SelectMany(i => new[] { (float)(10 + 30 * Math.Cos(i * Math.PI / 180)),
                (float)(30 * Math.Sin(i * Math.PI / 180)), 0f }).ToArray();
        var info = Info(continuous: new[] { new BopContinuousSymmetry(new Vec3(0, 0, 1), new Vec3(10, 0, 0)) });
        var m = new EvalObjectModel(info, ring);
        Assert.Equal((int)Math.Ceiling(Math.PI / 0.01), m.Symmetries.Count);
        var turn = new Pose(Mat3.RotZ(1.234), new Vec3(10, 0, 0) - Mat3.RotZ(1.234) * new Vec3(10, 0, 0));
        var est = Gt * turn;
        // The nearest sample is at most half a step (pi / 315 rad) away: at most 30 * 0.01 mm.
        Assert.InRange(PoseErrors.Mssd(ring, m.Symmetries, est, Gt), 0, 0.3);
        Assert.True(PoseErrors.Mssd(ring, new EvalObjectModel(Info(), ring).Symmetries, est, Gt) > 30);
    }

    [Fact]
    public void ABrokenEstimate_IsInfinitelyWrong_NotPerfect()
    {
        var m = new EvalObjectModel(Info(), Cube);
        var e = PoseErrors.All(m, K, new Pose(Gt.R, new Vec3(double.NaN, 0, 800)), Gt);
        Assert.True(double.IsPositiveInfinity(e.MssdMm) && double.IsPositiveInfinity(e.AddsMm)
            && double.IsPositiveInfinity(e.MspdPx));
        Assert.Equal(0, Recall.ArMssd(new[] { (e.MssdMm, 100.0) }));
    }

    [Fact]
    public void DiscreteAndContinuousSymmetries_Combine()
    {
        var info = Info(OccluderBox.Symmetries, new[] { new BopContinuousSymmetry(new Vec3(0, 0, 1), default) });
        Assert.Equal(4 * 315, SymmetryTransforms.Expand(info).Count);
        Assert.Equal(4, SymmetryTransforms.Expand(Info(OccluderBox.Symmetries)).Count);
        Assert.Single(SymmetryTransforms.Expand(Info()));
    }

    [Fact]
    public void PointTree_FindsTheSameNearestPointAsBruteForce()
    {
        var rng = new Random(7);
        var pts = Enumerable.Range(0, 3 * 2000).Select(_ => (float)(rng.NextDouble() * 200 - 100)).ToArray();
        var tree = new PointTree(pts);
        for (int q = 0; q < 300; q++)
        {
            double x = rng.NextDouble() * 300 - 150, y = rng.NextDouble() * 300 - 150, z = rng.NextDouble() * 300 - 150;
            double best = double.MaxValue;
            for (int i = 0; i < 2000; i++)
            {
                double dx = pts[3 * i] - x, dy = pts[3 * i + 1] - y, dz = pts[3 * i + 2] - z;
                best = Math.Min(best, dx * dx + dy * dy + dz * dz);
            }
            Assert.Equal(Math.Sqrt(best), tree.Nearest(x, y, z), 9);
        }
    }
}
