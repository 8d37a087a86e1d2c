using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>
/// FoundationPose's crop window ("box_3d"): the square around the projection of the hypothesis translation that
/// holds a sphere of radius diameter * cropRatio / 2, scaled to the network's 160 x 160 input.
/// Crop pixel (i, j) looks at frame pixel (i / ScaleX + Left, j / ScaleY + Top).
/// </summary>
internal readonly record struct CropWindow(int Left, int Top, int Right, int Bottom, int Size)
{
    public double ScaleX => (double)Size / (Right - Left);
    public double ScaleY => (double)Size / (Bottom - Top);
    public double FrameX(double i) => i / ScaleX + Left;
    public double FrameY(double j) => j / ScaleY + Top;

    public static CropWindow For(Vec3 t, CameraIntrinsics k, double diameter, double cropRatio, int size)
    {
        // A hypothesis a bad refiner pushed behind the camera still gets a (tiny, empty) window, not a crash.
        if (t.Z < 0.01) t = t with { Z = 0.01 };
        double r = diameter * cropRatio / 2;
        var (uc, vc) = k.Project(t);
        double half = 0;
        foreach (var d in new[] { new Vec3(r, 0, 0), new Vec3(-r, 0, 0), new Vec3(0, r, 0), new Vec3(0, -r, 0) })
        {
            var (u, v) = k.Project(t + d);
            half = Math.Max(half, Math.Max(Math.Abs(u - uc), Math.Abs(v - vc)));
        }
        // Rounded as numpy rounds (half to even), which is what FoundationPose's crop code calls.
        int left = (int)Math.Round(uc - half), right = (int)Math.Round(uc + half);
        int top = (int)Math.Round(vc - half), bottom = (int)Math.Round(vc + half);
        if (right - left < 1) right = left + 1;
        if (bottom - top < 1) bottom = top + 1;
        return new CropWindow(left, top, right, bottom, size);
    }

    /// <summary>The frame pixels [X0, X1) x [Y0, Y1) that warping into this window reads (bilinear neighbours and the
    /// nearest pixel of every crop pixel), clipped to a width x height frame.</summary>
    public (int X0, int Y0, int X1, int Y1) FramePixels(int width, int height) =>
        (Math.Clamp(Left - 1, 0, width), Math.Clamp(Top - 1, 0, height), Math.Clamp(Right + 2, 0, width),
            Math.Clamp(Bottom + 2, 0, height));

    /// <summary>The intrinsics that render straight into this window.</summary>
    public CameraIntrinsics Intrinsics(CameraIntrinsics k) =>
        new(k.Fx * ScaleX, k.Fy * ScaleY, (k.Cx - Left) * ScaleX, (k.Cy - Top) * ScaleY);
}
