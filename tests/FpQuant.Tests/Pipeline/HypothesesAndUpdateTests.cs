using FpQuant.Geometry;
using FpQuant.Pipeline;
using FpQuant.Tests.Geometry;

namespace FpQuant.Tests.Pipeline;

[Trait("Category", "Quick")]
public class HypothesesAndUpdateTests
{
    /// <summary>rot_normalizer of the checkpoint's config (spec section 4): pi/9, 20 degrees.</summary>
    private const double SpecRotNormalizer = 0.3490658503988659;
    private static readonly double R3 = Math.Sqrt(3);
    // cos and sin of 10 degrees.
    private const double C10 = 0.98480775301220805936, S10 = 0.17364817766693034885;

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
        foreach (var r in rots)
        {
            So3Series.AssertClose(Mat3.Identity, r * r.T, 1e-12, "R R^T");
            // A proper rotation, not a reflection (which R R^T = I also allows).
            double det =
                r.M00 * (r.M11 * r.M22 - r.M12 * r.M21) - r.M01 * (r.M10 * r.M22 - r.M12 * r.M20) + r.M02
                    * (r.M10 * r.M21 - r.M11 * r.M20);
            Assert.Equal(1.0, det, 12);
        }
    }

    [Fact]
    public void Hypotheses_LookAtTheObjectFromEachIcosphereVertex()
    {
        // Spec section 7: the camera sits at view point v and looks at the origin, so the object-frame direction v
        // appears along the camera's -z, for every in-plane rotation; and in-plane 0 keeps the world up (0,0,1) in
        // the camera's y-z plane (x = up x z is perpendicular to it).
        var views = PoseHypotheses.IcosphereVertices();
        var rots = PoseHypotheses.Rotations();
        for (int i = 0; i < views.Count; i++)
            for (int k = 0; k < 6; k++)
            {
                var dir = rots[6 * i + k] * views[i];
                Assert.True((dir - new Vec3(0, 0, -1)).Norm < 1e-12, $"view {i} in-plane {k}: v maps to {dir}");
                if (k == 0)
                    Assert.True(Math.Abs((rots[6 * i] * new Vec3(0, 0, 1)).X) < 1e-12,
                        $"view {i}: up leaves the y-z plane");
            }
    }

    [Fact]
    public void PoseUpdate_AboutX_HandComputed_Egocentric_TranslationNotRotated()
    {
        // tanh(atanh(0.5)) * pi/9 = 10 degrees about x; dR = exp(w)^T turns -10 degrees about x:
        // dR = [[1, 0, 0], [0, c, s], [0, -s, c]] with c = cos 10, s = sin 10.
        // R0 = 90 degrees about z = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]; R' = dR R0 = [[0, -1, 0], [c, 0, s], [-s, 0,
        // c]]
        // (R0 dR, the object-centric order, would be [[0, -c, -s], [1, 0, 0], [0, -s, c]]).
        // trans (0.5, -0.25, 1) times diameter/2 = 0.1 is (0.05, -0.025, 0.1), added in the camera frame unrotated.
        var r0 = new Mat3(0, -1, 0, 1, 0, 0, 0, 0, 1);
        var p = new Pose(r0, new Vec3(0.01, -0.02, 0.5));
        var q = PoseUpdate.Apply(p, new Vec3(0.5, -0.25, 1), new Vec3(Math.Atanh(0.5), 0, 0), 0.2);
        So3Series.AssertClose(new Mat3(0, -1, 0, C10, 0, S10, -S10, 0, C10), q.R, 1e-15, "R'");
        Assert.Equal(0.06, q.T.X, 15);
        Assert.Equal(-0.045, q.T.Y, 15);
        Assert.Equal(0.6, q.T.Z, 15);
    }

    [Fact]
    public void PoseUpdate_AboutY_AndZ_HandComputed()
    {
        // 10 degrees about y (dR = -10 about y = [[c, 0, -s], [0, 1, 0], [s, 0, c]]) from the identity.
        var y =
            PoseUpdate.Apply(new Pose(Mat3.Identity, new Vec3(0, 0, 1)), default, new Vec3(0, Math.Atanh(0.5), 0), 0.2);
        So3Series.AssertClose(new Mat3(C10, 0, -S10, 0, 1, 0, S10, 0, C10), y.R, 1e-15, "about y");
        // -10 degrees about z (rot = atanh(-0.5)): dR = +10 about z = [[c, -s, 0], [s, c, 0], [0, 0, 1]].
        var z = PoseUpdate.Apply(new Pose(Mat3.Identity, new Vec3(0, 0, 1)), default, new Vec3(0, 0, Math.Atanh(-0.5)),
            0.2);
        So3Series.AssertClose(new Mat3(C10, -S10, 0, S10, C10, 0, 0, 0, 1), z.R, 1e-15, "about z");
    }

    [Fact]
    public void PoseUpdate_ObliqueAxis_HandComputed()
    {
        // tanh(rot_i) = sqrt(3)/2 on every axis: w = (sqrt(3)/2)(pi/9)(1,1,1), |w| = pi/6, 30 degrees about
        // n = (1,1,1)/sqrt(3). dR = rotation by -30 degrees about n = cos I + sin [n]x + (1 - cos) n n^T with
        // cos = sqrt(3)/2, sin = -1/2: diagonal (1 + sqrt(3))/3; (2 - sqrt(3))/6 -+ 1/(2 sqrt(3)) off it, i.e. 1/3 and
        // (1 - sqrt(3))/3.
        double d = (1 + R3) / 3, o = (1 - R3) / 3, t = 1.0 / 3;
        var dR = new Mat3(d, t, o, o, d, t, t, o, d);
        double r = Math.Atanh(R3 / 2);
        var id = PoseUpdate.Apply(new Pose(Mat3.Identity, new Vec3(0, 0, 1)), default, new Vec3(r, r, r), 0.2);
        So3Series.AssertClose(dR, id.R, 1e-15, "from the identity");
        Assert.Equal(new Vec3(0, 0, 1), id.T);
        // Egocentric from R0 = 90 degrees about x ([[1, 0, 0], [0, 0, -1], [0, 1, 0]]): dR R0 has columns
        // dR e_x, dR e_z, -dR e_y.
        var q = PoseUpdate.Apply(new Pose(new Mat3(1, 0, 0, 0, 0, -1, 0, 1, 0), new Vec3(0, 0, 1)), default,
            new Vec3(r, r, r), 0.2);
        So3Series.AssertClose(new Mat3(d, o, -t, o, t, -d, t, d, -o), q.R, 1e-15, "from 90 degrees about x");
    }

    [Fact]
    public void PoseUpdate_TanhBoundsTheStep_At20DegreesPerAxis()
    {
        Assert.Equal(SpecRotNormalizer, PoseUpdate.RotNormalizer);
        // A huge rot saturates tanh at 1: exactly 20 degrees about x (cos 20, sin 20 by hand).
        var q = PoseUpdate.Apply(new Pose(Mat3.Identity, default), default, new Vec3(50, 0, 0), 1);
        const double c20 = 0.93969262078590838405, s20 = 0.34202014332566873304;
        So3Series.AssertClose(new Mat3(1, 0, 0, 0, c20, s20, 0, -s20, c20), q.R, 1e-15, "saturated");
    }
}
