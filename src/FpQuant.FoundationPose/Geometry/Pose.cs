namespace FpQuant.Geometry;

/// <summary>An object pose in the camera frame: x_cam = R x_obj + t.</summary>
public readonly record struct Pose(Mat3 R, Vec3 T)
{
    public Pose Inverse => new(R.T, -(R.T * T));
    public static Pose operator *(Pose a, Pose b) => new(a.R * b.R, a.R * b.T + a.T);
}
