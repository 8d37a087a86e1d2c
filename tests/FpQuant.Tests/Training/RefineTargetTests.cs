using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Pipeline;
using FpQuant.Tests.Support;
using FpQuant.Training;

namespace FpQuant.Tests.Training;

[Trait("Category", "Quick")]
public class RefineTargetTests
{
    [Fact]
    public void LogSo3_InvertsExpSo3_AtEveryAngle_IncludingNearPi()
    {
        var rng = new SampleRandom(SampleRandom.StreamKey(1, "test"), 0);
        foreach (double angle in new[] { 0, 1e-9, 1e-4, 0.3, 1, 2.5, Math.PI - 1e-3, Math.PI - 1e-6 })
            for (int k = 0; k < 20; k++)
            {
                var w = rng.UnitVector() * angle;
                var r = Mat3.ExpSo3(w);
                var back = r.LogSo3();
                Assert.True(Mat3.AngleDegrees(Mat3.ExpSo3(back), r) < 1e-6,
                    $"angle {angle}: exp(log(R)) differs from R");
                // Away from pi the vector itself comes back (at pi, w and -w are the same rotation).
                if (angle < 3) Assert.True((back - w).Norm < 1e-9, $"angle {angle}: {back} vs {w}");
            }
    }

    [Fact]
    public void Target_IsExactForTheUpdate_AndRefusesRotationsOutOfReach()
    {
        var truth = DemoScene.TruePose;
        double d = 0.2;
        // A turn of 10 degrees is in reach about any axis; 30 degrees about x alone is not (one axis saturates at 20).
        var near = new Pose(Mat3.ExpSo3(new Vec3(0.1, -0.1, 0.05)) * truth.R, truth.T + new Vec3(0.01, -0.02, 0.03));
        Assert.True(RefineTarget.TryCompute(near, truth, d, out var trans, out var rot));
        var moved = PoseUpdate.Apply(near, trans, rot, d);
        Assert.True(Mat3.AngleDegrees(moved.R, truth.R) < 1e-9);
        Assert.True((moved.T - truth.T).Norm < 1e-12);
        Assert.Equal(new Vec3(-0.1, 0.2, -0.3),
            trans with { X = Math.Round(trans.X, 12), Y = Math.Round(trans.Y, 12), Z = Math.Round(trans.Z, 12) });
        var far = new Pose(Mat3.ExpSo3(new Vec3(30 * Math.PI / 180, 0, 0)) * truth.R, truth.T);
        Assert.False(RefineTarget.TryCompute(far, truth, d, out _, out _));
        // 30 degrees spread over the three axes (17.3 each) is in reach.
        var diagonal = new Pose(Mat3.ExpSo3(new Vec3(1, 1, 1).Normalized * (30 * Math.PI / 180)) * truth.R, truth.T);
        Assert.True(RefineTarget.TryCompute(diagonal, truth, d, out _, out _));
        Assert.InRange(RefineTarget.AlwaysReachableDegrees, 19.8, 20);
    }

    [Fact]
    public void Options_OutOfRange_NameTheOption()
    {
        foreach (var (o, name) in new (CropSetOptions, string)[]
        {
            (new() { MaxRotationDeg = 40 }, "MaxRotationDeg"),
            (new() { MaxRotationDeg = -1, Kind = CropSetKind.Score }, "MaxRotationDeg"),
            (new() { MaxTranslationFraction = 2 }, "MaxTranslationFraction"), (new() { Group = 0 }, "Group"),
            (new() { Count = -1 }, "Count"),
            (new() { CropType = NpyElementType.Int64 }, "CropType"), (new() { ShardSize = 100_000 }, "ShardSize"),
        })
            Assert.Contains(name, Assert.Throws<FpQuantException>(() => o.Validate()).Message);
        new CropSetOptions { MaxRotationDeg = 90, Kind = CropSetKind.Score }.Validate();
    }

    [Fact]
    public void PoseFile_RoundTrips()
    {
        using var t = new TempDir();
        var p = new Pose(Mat3.ExpSo3(new Vec3(0.3, -1.2, 2.0)), new Vec3(0.1, -0.25, 0.75));
        PoseFile.Write(t.File("p.txt"), p);
        Assert.Equal(p, PoseFile.Read(t.File("p.txt")));
        File.WriteAllText(t.File("bad.txt"), "1 2 3");
        Assert.Contains("bad.txt", Assert.Throws<FpQuantException>(() => PoseFile.Read(t.File("bad.txt"))).Message);
    }
}
