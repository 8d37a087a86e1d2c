using FpQuant.Geometry;

namespace FpQuant.Tests.Geometry;

/// <summary>
/// The rotation exp(hat(w)) computed the slow, independent way: the matrix exponential's power series
/// I + K + K^2/2! + ... with K = hat(w) = [[0, -z, y], [z, 0, -x], [-y, x, 0]] (so K v = w x v). It shares no code with
/// <see cref="Mat3.ExpSo3"/> (no Rodrigues coefficients, no small-angle branch), so it can stand as an oracle for it.
/// </summary>
public static class So3Series
{
    public static Mat3 Exp(Vec3 w)
    {
        var k = new double[3, 3] { { 0, -w.Z, w.Y }, { w.Z, 0, -w.X }, { -w.Y, w.X, 0 } };
        var sum = new double[3, 3] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        var term = (double[,])sum.Clone();
        // |w| <= 4 in the tests: 4^60 / 60! < 1e-45, far below double rounding.
        for (int n = 1; n <= 60; n++)
        {
            var next = new double[3, 3];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                {
                    double s = 0;
                    for (int m = 0; m < 3; m++) s += term[i, m] * k[m, j];
                    next[i, j] = s / n;
                }
            term = next;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) sum[i, j] += term[i, j];
        }
        return new Mat3(sum[0, 0], sum[0, 1], sum[0, 2], sum[1, 0], sum[1, 1], sum[1, 2], sum[2, 0], sum[2, 1],
            sum[2, 2]);
    }

    /// <summary>Asserts every entry of two matrices agrees within <paramref name="tol"/>, naming the entry.</summary>
    public static void AssertClose(Mat3 expected, Mat3 actual, double tol, string what = "")
    {
        double[] e = Entries(expected), a = Entries(actual);
        for (int i = 0; i < 9; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tol,
                $"{what} entry ({i / 3},{i % 3}): expected {e[i]:R}, got {a[i]:R}\nexpected {Format(expected)}\ngot  " +
                $"    {Format(actual)}");
    }

    public static double[] Entries(Mat3 m) => new[] { m.M00, m.M01, m.M02, m.M10, m.M11, m.M12, m.M20, m.M21, m.M22 };

    private static string Format(Mat3 m) =>
        string.Join(" | ",
            Enumerable.Range(0, 3)
                .Select(r => string.Join(", ",
                    Entries(m).Skip(3 * r).Take(3)
                        .Select(x => x.ToString("F6", System.Globalization.CultureInfo.InvariantCulture)))));
}
