namespace FpQuant.Geometry;

public readonly record struct Vec3(double X, double Y, double Z)
{
    public double Norm => Math.Sqrt(X * X + Y * Y + Z * Z);
    // Written out: the record's generated ToString would print Normalized, itself a Vec3, forever.
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"({X:G6}, {Y:G6}, {Z:G6})");
    public Vec3 Normalized => this / Norm;
    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);
    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);
    public static Vec3 operator *(Vec3 a, double s) => new(a.X * s, a.Y * s, a.Z * s);
    public static Vec3 operator /(Vec3 a, double s) => new(a.X / s, a.Y / s, a.Z / s);
    public static double Dot(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;
    public static Vec3 Cross(Vec3 a, Vec3 b) => new(a.Y * b.Z - a.Z * b.Y, a.Z * b.X - a.X * b.Z, a.X * b.Y - a.Y * b.X);
}
