using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Tests.Pipeline;

public class HypothesesAndUpdateTests
{
    [Fact]
    public void Hypotheses_Are252_ClosestPair31_72Degrees()
    {
        var rots = PoseHypotheses.Rotations();
        Assert.Equal(252, rots.Count);
        double closest = double.MaxValue;
        for (int i = 0; i < rots.Count; i++)
            for (int j = i + 1; j < rots.Count; j++)
                closest = Math.Min(closest, Mat3.AngleDegrees(rots[i], rots[j]));
        Assert.Equal(31.72, closest, 2);
        foreach (var r in rots.Take(12))
        {
            var rrt = r * r.T;
            Assert.Equal(3.0, rrt.Trace, 9); // orthonormal
        }
    }

    [Fact]
    public void PoseUpdate_HandComputed()
    {
        var p = new Pose(Mat3.Identity, new Vec3(0, 0, 1));
        // trans (0.5, 0, -1) with diameter 0.2 moves by (0.05, 0, -0.1); rot = atanh(0.5) about z gives
        // w = 0.5 * 0.349 about z; dR = exp(w)^T is a rotation by -0.1745 rad about z.
        var q = PoseUpdate.Apply(p, new Vec3(0.5, 0, -1), new Vec3(0, 0, Math.Atanh(0.5)), 0.2);
        Assert.Equal(0.05, q.T.X, 12);
        Assert.Equal(0.9, q.T.Z, 12);
        double angle = 0.5 * PoseUpdate.RotNormalizer;
        Assert.Equal(Math.Cos(angle), q.R.M00, 12);
        Assert.Equal(Math.Sin(angle), q.R.M01, 12); // transposed: +sin above the diagonal
        Assert.Equal(-Math.Sin(angle), q.R.M10, 12);
        // Egocentric: the delta rotation multiplies from the left.
        var r0 = Mat3.RotZ(0.3);
        var q2 = PoseUpdate.Apply(new Pose(r0, new Vec3(0, 0, 1)), new Vec3(0, 0, 0), new Vec3(0, 0, Math.Atanh(0.5)), 0.2);
        Assert.Equal(0.0, Mat3.AngleDegrees(Mat3.RotZ(0.3 - angle), q2.R), 6);
    }

    [Fact]
    public void ExpSo3_IsOrthonormal_AndSmallAnglesAreStable()
    {
        var r = Mat3.ExpSo3(new Vec3(1e-10, 0, 0));
        Assert.Equal(3.0, r.Trace, 9);
        var big = Mat3.ExpSo3(new Vec3(1, 2, 3));
        Assert.Equal(3.0, (big * big.T).Trace, 9);
    }
}
