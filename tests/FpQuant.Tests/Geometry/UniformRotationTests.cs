using FpQuant.Geometry;

namespace FpQuant.Tests.Geometry;

/// <summary>
/// <see cref="Mat3.UniformRotation"/>: every draw is a proper rotation, and the draws follow the uniform (Haar)
/// distribution's moments. Under it the trace t = 1 + 2 cos(angle) has mean 0 and E[t^2] = 1 (the rotation
/// representation is irreducible), Var(t) = 1 and Var(t^2) = 2, and each matrix entry has mean 0 and variance 1/3.
/// With N = 20,000 draws the bounds below are five standard errors, so a correct sampler fails with probability
/// below 1e-6, while Euler angles drawn uniformly (z-y-z, the middle one in [0, pi)) give E[t^2] = 1.25 and fail.
/// </summary>
[Trait("Category", "Quick")]
public class UniformRotationTests
{
    private const int N = 20_000;

    private static IEnumerable<Mat3> Draws()
    {
        var rng = new Random(20261203);
        for (int i = 0; i < N; i++)
            yield return Mat3.UniformRotation(rng.NextDouble(), rng.NextDouble(), rng.NextDouble());
    }

    [Fact]
    public void EveryDraw_IsAProperRotation()
    {
        foreach (var r in Draws().Take(2000))
        {
            var rtr = r.T * r;
            So3Series.AssertClose(Mat3.Identity, rtr, 1e-12, "R^T R");
            double det = r.M00 * (r.M11 * r.M22 - r.M12 * r.M21) - r.M01 * (r.M10 * r.M22 - r.M12 * r.M20)
                + r.M02 * (r.M10 * r.M21 - r.M11 * r.M20);
            Assert.Equal(1.0, det, 12);
        }
    }

    [Fact]
    public void Moments_AreTheUniformDistributions()
    {
        double sumT = 0, sumT2 = 0, sum00 = 0, sum12 = 0;
        foreach (var r in Draws())
        {
            double t = r.Trace;
            sumT += t; sumT2 += t * t; sum00 += r.M00; sum12 += r.M12;
        }
        double se = 1 / Math.Sqrt(N);
        Assert.InRange(sumT / N, -5 * se, 5 * se);
        Assert.InRange(sumT2 / N, 1 - 5 * Math.Sqrt(2) * se, 1 + 5 * Math.Sqrt(2) * se);
        double seEntry = Math.Sqrt(1.0 / 3) * se;
        Assert.InRange(sum00 / N, -5 * seEntry, 5 * seEntry);
        Assert.InRange(sum12 / N, -5 * seEntry, 5 * seEntry);
    }

    [Fact]
    public void CornersOfTheUnitCube_GiveTheQuaternionsTheyName()
    {
        // u1 = 0: q = (w, x, 0, 0) with w = sin(2 pi u2), x = cos(2 pi u2); u2 = 0 gives x = 1: a half turn about x.
        So3Series.AssertClose(new Mat3(1, 0, 0, 0, -1, 0, 0, 0, -1), Mat3.UniformRotation(0, 0, 0), 1e-15,
            "half turn x");
        // u1 = 0, u2 = 1/4: w = 1, the identity.
        So3Series.AssertClose(Mat3.Identity, Mat3.UniformRotation(0, 0.25, 0), 1e-15, "identity");
    }
}
