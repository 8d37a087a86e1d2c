namespace FpQuant.Geometry;

/// <summary>A 3-vector of doubles (a point or a direction; metres where it is a position).</summary>
/// <param name="X">The x component.</param>
/// <param name="Y">The y component.</param>
/// <param name="Z">The z component.</param>
public readonly record struct Vec3(double X, double Y, double Z)
{
    /// <summary>The Euclidean length.</summary>
    public double Norm => Math.Sqrt(X * X + Y * Y + Z * Z);
    // Written out: the record's generated ToString would print Normalized, itself a Vec3, forever.
    /// <summary>"(x, y, z)" with six significant digits, culture-invariant.</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"({X:G6}, {Y:G6}, {Z:G6})");
    /// <summary>This vector divided by its length.</summary>
    public Vec3 Normalized => this / Norm;
    /// <summary>The sum.</summary>
    /// <param name="a">The first vector.</param>
    /// <param name="b">The second vector.</param>
    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    /// <summary>The difference a - b.</summary>
    /// <param name="a">The first vector.</param>
    /// <param name="b">The vector subtracted.</param>
    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    /// <summary>The negation.</summary>
    /// <param name="a">The vector.</param>
    public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);
    /// <summary>The vector scaled by s.</summary>
    /// <param name="a">The vector.</param>
    /// <param name="s">The factor.</param>
    public static Vec3 operator *(Vec3 a, double s) => new(a.X * s, a.Y * s, a.Z * s);
    /// <summary>The vector divided by s.</summary>
    /// <param name="a">The vector.</param>
    /// <param name="s">The divisor.</param>
    public static Vec3 operator /(Vec3 a, double s) => new(a.X / s, a.Y / s, a.Z / s);
    /// <summary>The dot product.</summary>
    /// <param name="a">The first vector.</param>
    /// <param name="b">The second vector.</param>
    public static double Dot(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
    /// <summary>The cross product a x b.</summary>
    /// <param name="a">The first vector.</param>
    /// <param name="b">The second vector.</param>
    public static Vec3 Cross(Vec3 a, Vec3 b) =>
        new(a.Y * b.Z - a.Z * b.Y, a.Z * b.X - a.X * b.Z, a.X * b.Y - a.Y * b.X);
}
