namespace FpQuant.Geometry;

/// <summary>A 3x3 rotation (row-major, double) and the so(3) exponential.</summary>
public readonly struct Mat3
{
    /// <summary>Row 0, column 0.</summary>
    public double M00 { get; }
    /// <summary>Row 0, column 1.</summary>
    public double M01 { get; }
    /// <summary>Row 0, column 2.</summary>
    public double M02 { get; }
    /// <summary>Row 1, column 0.</summary>
    public double M10 { get; }
    /// <summary>Row 1, column 1.</summary>
    public double M11 { get; }
    /// <summary>Row 1, column 2.</summary>
    public double M12 { get; }
    /// <summary>Row 2, column 0.</summary>
    public double M20 { get; }
    /// <summary>Row 2, column 1.</summary>
    public double M21 { get; }
    /// <summary>Row 2, column 2.</summary>
    public double M22 { get; }

    /// <summary>A matrix from its nine entries, row by row.</summary>
    /// <param name="m00">Row 0, column 0.</param>
    /// <param name="m01">Row 0, column 1.</param>
    /// <param name="m02">Row 0, column 2.</param>
    /// <param name="m10">Row 1, column 0.</param>
    /// <param name="m11">Row 1, column 1.</param>
    /// <param name="m12">Row 1, column 2.</param>
    /// <param name="m20">Row 2, column 0.</param>
    /// <param name="m21">Row 2, column 1.</param>
    /// <param name="m22">Row 2, column 2.</param>
    public Mat3(double m00, double m01, double m02, double m10, double m11, double m12, double m20, double m21,
        double m22)
    {
        M00 = m00; M01 = m01; M02 = m02; M10 = m10; M11 = m11; M12 = m12; M20 = m20; M21 = m21; M22 = m22;
    }

    /// <summary>The identity.</summary>
    public static Mat3 Identity => new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    /// <summary>The matrix with these columns.</summary>
    /// <param name="x">Column 0.</param>
    /// <param name="y">Column 1.</param>
    /// <param name="z">Column 2.</param>
    public static Mat3 FromColumns(Vec3 x, Vec3 y, Vec3 z) => new(x.X, y.X, z.X, x.Y, y.Y, z.Y, x.Z, y.Z, z.Z);

    /// <summary>The transpose (for a rotation, its inverse).</summary>
    public Mat3 T => new(M00, M10, M20, M01, M11, M21, M02, M12, M22);

    /// <summary>The matrix product a b.</summary>
    /// <param name="a">The left factor.</param>
    /// <param name="b">The right factor.</param>
    public static Mat3 operator *(Mat3 a, Mat3 b) => new(
        a.M00 * b.M00 + a.M01 * b.M10 + a.M02 * b.M20, a.M00 * b.M01 + a.M01 * b.M11 + a.M02 * b.M21,
        a.M00 * b.M02 + a.M01 * b.M12 + a.M02 * b.M22,
        a.M10 * b.M00 + a.M11 * b.M10 + a.M12 * b.M20, a.M10 * b.M01 + a.M11 * b.M11 + a.M12 * b.M21,
        a.M10 * b.M02 + a.M11 * b.M12 + a.M12 * b.M22,
        a.M20 * b.M00 + a.M21 * b.M10 + a.M22 * b.M20, a.M20 * b.M01 + a.M21 * b.M11 + a.M22 * b.M21,
        a.M20 * b.M02 + a.M21 * b.M12 + a.M22 * b.M22);

    /// <summary>The matrix applied to a vector.</summary>
    /// <param name="a">The matrix.</param>
    /// <param name="v">The vector.</param>
    public static Vec3 operator *(Mat3 a, Vec3 v) => new(
        a.M00 * v.X + a.M01 * v.Y + a.M02 * v.Z, a.M10 * v.X + a.M11 * v.Y + a.M12 * v.Z,
        a.M20 * v.X + a.M21 * v.Y + a.M22 * v.Z);

    /// <summary>The sum of the diagonal.</summary>
    public double Trace => M00 + M11 + M22;

    /// <summary>A rotation drawn uniformly over all rotations from three uniforms in [0, 1): the unit quaternion of
    /// Shoemake's method made into a matrix.</summary>
    internal static Mat3 UniformRotation(double u1, double u2, double u3)
    {
        double a = Math.Sqrt(1 - u1), b = Math.Sqrt(u1);
        double w = a * Math.Sin(2 * Math.PI * u2), x = a * Math.Cos(2 * Math.PI * u2);
        double y = b * Math.Sin(2 * Math.PI * u3), z = b * Math.Cos(2 * Math.PI * u3);
        return new Mat3(
            1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
            2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
            2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y));
    }

    /// <summary>Rotation about z by <paramref name="radians"/>.</summary>
    public static Mat3 RotZ(double radians)
    {
        double c = Math.Cos(radians), s = Math.Sin(radians);
        return new Mat3(c, -s, 0, s, c, 0, 0, 0, 1);
    }

    /// <summary>
    /// Rodrigues: exp of the skew matrix of w (axis-angle), R = I + sin(t)/t K + (1 - cos(t))/t^2 K^2.
    /// </summary>
    public static Mat3 ExpSo3(Vec3 w)
    {
        double t = w.Norm;
        double a, b;
        if (t < 1e-8) { a = 1 - t * t / 6; b = 0.5 - t * t / 24; }
        else { a = Math.Sin(t) / t; b = (1 - Math.Cos(t)) / (t * t); }
        // K = hat(w); K^2 = w w^T - |w|^2 I
        double x = w.X, y = w.Y, z = w.Z;
        return new Mat3(
            1 + b * (x * x - t * t), -a * z + b * x * y, a * y + b * x * z,
            a * z + b * x * y, 1 + b * (y * y - t * t), -a * x + b * y * z,
            -a * y + b * x * z, a * x + b * y * z, 1 + b * (z * z - t * t));
    }

    /// <summary>The so(3) logarithm: the axis-angle vector w with ExpSo3(w) = this rotation, |w| in [0, pi].</summary>
    public Vec3 LogSo3()
    {
        // s = sin(t) n and c = cos(t) from the antisymmetric part and the trace; atan2 keeps t exact near 0 and pi.
        var s = new Vec3(M21 - M12, M02 - M20, M10 - M01) / 2;
        double c = Math.Clamp((Trace - 1) / 2, -1, 1), sn = s.Norm, t = Math.Atan2(sn, c);
        if (t < 1e-6) return s * (1 + t * t / 6);
        if (Math.PI - t > 1e-4) return s * (t / sn);
        // Near pi, sin(t) carries no axis: n n^T = ((R + R^T)/2 - c I) / (1 - c); take its largest column, sign from s.
        double xx = (M00 - c) / (1 - c), yy = (M11 - c) / (1 - c), zz = (M22 - c) / (1 - c);
        double xy = (M01 + M10) / 2 / (1 - c), xz = (M02 + M20) / 2 / (1 - c), yz = (M12 + M21) / 2 / (1 - c);
        var n = xx >= yy && xx >= zz ? new Vec3(xx, xy, xz) : yy >= zz ? new Vec3(xy, yy, yz) : new Vec3(xz, yz, zz);
        n = n.Normalized;
        if (Vec3.Dot(n, s) < 0) n = -n;
        return n * t;
    }

    /// <summary>The angle in degrees between two rotations.</summary>
    public static double AngleDegrees(Mat3 a, Mat3 b)
    {
        // atan2(sin, cos) of the relative rotation: exact near 0 and 180 degrees, where acos of the trace is not.
        var r = a.T * b;
        double c = (r.Trace - 1) / 2;
        double sx = r.M21 - r.M12, sy = r.M02 - r.M20, sz = r.M10 - r.M01;
        double s = Math.Sqrt(sx * sx + sy * sy + sz * sz) / 2;
        return Math.Atan2(s, c) * 180 / Math.PI;
    }
}
