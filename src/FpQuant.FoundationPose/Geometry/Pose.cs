using System.Globalization;

namespace FpQuant.Geometry;

/// <summary>An object pose in the camera frame: x_cam = R x_obj + t (metres).</summary>
/// <param name="R">The rotation from the object's frame to the camera's.</param>
/// <param name="T">The object's origin in the camera frame (metres).</param>
public readonly record struct Pose(Mat3 R, Vec3 T)
{
    /// <summary>The inverse transform: the camera in the object's frame.</summary>
    public Pose Inverse => new(R.T, -(R.T * T));

    /// <summary>The composition: <paramref name="b"/> first, then <paramref name="a"/>.</summary>
    /// <param name="a">The outer transform.</param>
    /// <param name="b">The inner transform.</param>
    public static Pose operator *(Pose a, Pose b) => new(a.R * b.R, a.R * b.T + a.T);

    /// <summary>"R [r00 r01 r02; r10 r11 r12; r20 r21 r22], t (x, y, z)", six significant digits,
    /// culture-invariant.</summary>
    // Written out: the record's generated ToString would print Inverse, itself a Pose, forever.
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"R [{R.M00:G6} {R.M01:G6} {R.M02:G6}; {R.M10:G6} {R.M11:G6} {R.M12:G6}; "
        + $"{R.M20:G6} {R.M21:G6} {R.M22:G6}], t {T}");

    /// <summary>The 4 x 4 matrix [R t; 0 0 0 1] as text: one row a line, numbers separated by spaces, each written
    /// so it reads back exactly.</summary>
    public string ToMatrixText() => string.Create(CultureInfo.InvariantCulture,
        $"{R.M00:R} {R.M01:R} {R.M02:R} {T.X:R}\n{R.M10:R} {R.M11:R} {R.M12:R} {T.Y:R}\n"
        + $"{R.M20:R} {R.M21:R} {R.M22:R} {T.Z:R}\n0 0 0 1\n");
}
