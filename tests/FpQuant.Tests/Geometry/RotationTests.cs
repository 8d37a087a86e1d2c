using FpQuant.Geometry;

namespace FpQuant.Tests.Geometry;

/// <summary>
/// <see cref="Mat3.ExpSo3"/> against rotations worked out by hand (right-hand rule: a positive turn about x takes
/// +y towards +z) and against the matrix exponential's power series. Orthonormality alone would pass a mirrored
/// axis, the identity or a permutation; these pin every entry and every sign.
/// </summary>
[Trait("Category", "Quick")]
public class RotationTests
{
    private const double Tol = 1e-14;
    private static readonly double R3 = Math.Sqrt(3), R2 = Math.Sqrt(2);

    private static void AssertVec(Vec3 expected, Vec3 actual, double tol = Tol)
    {
        Assert.True((expected - actual).Norm <= tol, $"expected {expected}, got {actual}");
    }

    [Fact]
    public void QuarterTurnAboutX_TakesYToZ_AndZToMinusY()
    {
        var r = Mat3.ExpSo3(new Vec3(Math.PI / 2, 0, 0));
        AssertVec(new Vec3(1, 0, 0), r * new Vec3(1, 0, 0));
        AssertVec(new Vec3(0, 0, 1), r * new Vec3(0, 1, 0));
        AssertVec(new Vec3(0, -1, 0), r * new Vec3(0, 0, 1));
        So3Series.AssertClose(new Mat3(1, 0, 0, 0, 0, -1, 0, 1, 0), r, Tol, "90 deg about x");
        // The other way round: +y goes to -z.
        AssertVec(new Vec3(0, 0, -1), Mat3.ExpSo3(new Vec3(-Math.PI / 2, 0, 0)) * new Vec3(0, 1, 0));
    }

    [Fact]
    public void QuarterTurnAboutY_TakesZToX_AndQuarterTurnAboutZ_TakesXToY()
    {
        var ry = Mat3.ExpSo3(new Vec3(0, Math.PI / 2, 0));
        AssertVec(new Vec3(1, 0, 0), ry * new Vec3(0, 0, 1));
        AssertVec(new Vec3(0, 0, -1), ry * new Vec3(1, 0, 0));
        So3Series.AssertClose(new Mat3(0, 0, 1, 0, 1, 0, -1, 0, 0), ry, Tol, "90 deg about y");
        var rz = Mat3.ExpSo3(new Vec3(0, 0, Math.PI / 2));
        AssertVec(new Vec3(0, 1, 0), rz * new Vec3(1, 0, 0));
        So3Series.AssertClose(new Mat3(0, -1, 0, 1, 0, 0, 0, 0, 1), rz, Tol, "90 deg about z");
    }

    [Fact]
    public void ThirtyDegreesAboutX_HasTheTextbookEntries()
    {
        // [[1, 0, 0], [0, cos, -sin], [0, sin, cos]] with cos 30 = sqrt(3)/2, sin 30 = 1/2.
        So3Series.AssertClose(new Mat3(1, 0, 0, 0, R3 / 2, -0.5, 0, 0.5, R3 / 2),
            Mat3.ExpSo3(new Vec3(Math.PI / 6, 0, 0)), Tol, "30 deg about x");
        So3Series.AssertClose(new Mat3(R3 / 2, 0, 0.5, 0, 1, 0, -0.5, 0, R3 / 2),
            Mat3.ExpSo3(new Vec3(0, Math.PI / 6, 0)), Tol, "30 deg about y");
    }

    [Fact]
    public void ObliqueAxes_HandWorked()
    {
        // 120 degrees about (1,1,1)/sqrt(3) cycles the axes: x -> y -> z -> x.
        double third = 2 * Math.PI / 3 / R3;
        var cyc = Mat3.ExpSo3(new Vec3(third, third, third));
        AssertVec(new Vec3(0, 1, 0), cyc * new Vec3(1, 0, 0));
        AssertVec(new Vec3(0, 0, 1), cyc * new Vec3(0, 1, 0));
        AssertVec(new Vec3(1, 0, 0), cyc * new Vec3(0, 0, 1));
        // Half a turn about (1,1,0)/sqrt(2) swaps x and y and reverses z.
        double half = Math.PI / R2;
        So3Series.AssertClose(new Mat3(0, 1, 0, 1, 0, 0, 0, 0, -1), Mat3.ExpSo3(new Vec3(half, half, 0)), 1e-13,
            "180 deg about (1,1,0)");
        // A quarter turn about n = (0,1,1)/sqrt(2) keeps n and takes x (perpendicular to n) to n x x = (0, 1,
        // -1)/sqrt(2).
        double q = Math.PI / 2 / R2;
        var r = Mat3.ExpSo3(new Vec3(0, q, q));
        AssertVec(new Vec3(0, 1, 1), r * new Vec3(0, 1, 1));
        AssertVec(new Vec3(0, 1 / R2, -1 / R2), r * new Vec3(1, 0, 0));
        So3Series.AssertClose(new Mat3(0, -1 / R2, 1 / R2, 1 / R2, 0.5, 0.5, -1 / R2, 0.5, 0.5), r, Tol,
            "90 deg about (0,1,1)");
    }

    public static TheoryData<double, double, double> SeriesCases => new()
    {
        { 0.3, -0.7, 0.2 },
        { 1, 2, 3 },
        { -2.5, 0.4, 1.1 },
        { 0, 0, -3.1 },
        { 1e-3, -2e-3, 5e-4 },
        { 2e-8, 0, -1e-8 },
        { 1e-9, -2e-9, 5e-10 }, // the small-angle branch
        { 0, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(SeriesCases))]
    public void ExpSo3_EqualsTheMatrixExponentialSeries(double x, double y, double z)
    {
        var w = new Vec3(x, y, z);
        var r = Mat3.ExpSo3(w);
        So3Series.AssertClose(So3Series.Exp(w), r, 2e-14, $"exp of {w}");
        AssertVec(w, r * w, 1e-14); // the axis stays put
    }

    [Fact]
    public void AngleDegrees_HandWorked()
    {
        var rx30 = new Mat3(1, 0, 0, 0, R3 / 2, -0.5, 0, 0.5, R3 / 2);
        Assert.Equal(30, Mat3.AngleDegrees(Mat3.Identity, rx30), 12);
        Assert.Equal(60, Mat3.AngleDegrees(rx30.T, rx30), 12);
        Assert.Equal(180, Mat3.AngleDegrees(Mat3.Identity, new Mat3(0, 1, 0, 1, 0, 0, 0, 0, -1)), 12);
        Assert.Equal(120, Mat3.AngleDegrees(Mat3.Identity, new Mat3(0, 0, 1, 1, 0, 0, 0, 1, 0)), 12);
    }
}
