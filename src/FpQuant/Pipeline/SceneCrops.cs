using FpQuant.Core;
using FpQuant.Imaging;

namespace FpQuant.Pipeline;

/// <summary>The translation guess of spec section 7, with what it was computed from.</summary>
public sealed record TranslationGuess(Vec3 T, double CenterU, double CenterV, double MedianDepth, int MaskPixels, int ValidDepthPixels)
{
    public const float MinValidDepth = 0.001f;

    /// <summary>Centre of the mask's bounding box, median depth over mask pixels with depth ≥ 0.001 m, back-projected.</summary>
    public static TranslationGuess FromFrame(RgbdFrame f, string maskName = "mask", string depthName = "depth")
    {
        int minU = int.MaxValue, maxU = -1, minV = int.MaxValue, maxV = -1, count = 0;
        var depths = new List<float>();
        for (int v = 0; v < f.Height; v++)
            for (int u = 0; u < f.Width; u++)
            {
                int i = v * f.Width + u;
                if (!f.Mask[i]) continue;
                count++;
                minU = Math.Min(minU, u); maxU = Math.Max(maxU, u); minV = Math.Min(minV, v); maxV = Math.Max(maxV, v);
                if (f.Depth[i] >= MinValidDepth) depths.Add(f.Depth[i]);
            }
        if (count == 0)
            throw new FpQuantException($"{maskName} has no pixels set; the mask must mark the object (non-zero pixels) in the {f.Width}x{f.Height} frame");
        if (depths.Count == 0)
            throw new FpQuantException($"{depthName} has no valid pixel (depth >= {MinValidDepth} m) inside the mask's {count} pixels; check the depth units (16-bit PNG = millimetres, raw float32 = metres) and that depth and mask are aligned");
        depths.Sort();
        int m = depths.Count / 2;
        // numpy.median: the mean of the two middle values for an even count.
        double z = depths.Count % 2 == 1 ? depths[m] : (depths[m - 1] + (double)depths[m]) / 2;
        double cu = (minU + maxU) / 2.0, cv = (minV + maxV) / 2.0;
        var t = new Vec3((cu - f.K.Cx) / f.K.Fx * z, (cv - f.K.Cy) / f.K.Fy * z, z);
        return new TranslationGuess(t, cu, cv, z, count, depths.Count);
    }
}

/// <summary>
/// FoundationPose's crop window ("box_3d"): the square around the projection of the hypothesis translation that
/// holds a sphere of radius diameter * cropRatio / 2, scaled to the network's 160 x 160 input.
/// Crop pixel (i, j) looks at frame pixel (i / ScaleX + Left, j / ScaleY + Top).
/// </summary>
public readonly record struct CropWindow(int Left, int Top, int Right, int Bottom, int Size)
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
        (double U, double V) Project(Vec3 p) => (k.Fx * p.X / p.Z + k.Cx, k.Fy * p.Y / p.Z + k.Cy);
        var (uc, vc) = Project(t);
        double half = 0;
        foreach (var d in new[] { new Vec3(r, 0, 0), new Vec3(-r, 0, 0), new Vec3(0, r, 0), new Vec3(0, -r, 0) })
        {
            var (u, v) = Project(t + d);
            half = Math.Max(half, Math.Max(Math.Abs(u - uc), Math.Abs(v - vc)));
        }
        // Rounded as numpy rounds (half to even), which is what FoundationPose's crop code calls.
        int left = (int)Math.Round(uc - half), right = (int)Math.Round(uc + half);
        int top = (int)Math.Round(vc - half), bottom = (int)Math.Round(vc + half);
        if (right - left < 1) right = left + 1;
        if (bottom - top < 1) bottom = top + 1;
        return new CropWindow(left, top, right, bottom, size);
    }

    /// <summary>The intrinsics that render straight into this window.</summary>
    public CameraIntrinsics Intrinsics(CameraIntrinsics k) =>
        new(k.Fx * ScaleX, k.Fy * ScaleY, (k.Cx - Left) * ScaleX, (k.Cy - Top) * ScaleY);
}

/// <summary>The networks' input normalisation of XYZ (spec section 7).</summary>
public static class CropNormalization
{
    public const float RefinerMinDepth = 0.001f, ScorerMinDepth = 0.1f, MaxAbsCoordinate = 2f;

    /// <summary>In place on X, Y, Z planes of n pixels: subtract t, divide by diameter/2; zero a pixel whose depth is
    /// below <paramref name="minDepth"/> or whose normalised coordinates reach ±2.</summary>
    // Optimised from the first call: the first frame is what this project measures, and tiered JIT would run it slow.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void NormalizeXyz(Span<float> xyz, int n, Vec3 t, double diameter, float minDepth)
    {
        float tx = (float)t.X, ty = (float)t.Y, tz = (float)t.Z, inv = (float)(2 / diameter);
        for (int i = 0; i < n; i++)
        {
            float z = xyz[2 * n + i];
            if (z < minDepth) { xyz[i] = 0; xyz[n + i] = 0; xyz[2 * n + i] = 0; continue; }
            float x = (xyz[i] - tx) * inv, y = (xyz[n + i] - ty) * inv, zz = (z - tz) * inv;
            if (MathF.Abs(x) >= MaxAbsCoordinate || MathF.Abs(y) >= MaxAbsCoordinate || MathF.Abs(zz) >= MaxAbsCoordinate) { x = 0; y = 0; zz = 0; }
            xyz[i] = x; xyz[n + i] = y; xyz[2 * n + i] = zz;
        }
    }
}

/// <summary>The camera frame warped into a crop window: bilinear RGB (scaled to 0..1), nearest depth and XYZ.</summary>
public static class ObservedCrop
{
    /// <summary>Camera-frame XYZ of every frame pixel from depth and K (interleaved), computed once per frame.</summary>
    public static float[] FrameXyz(RgbdFrame f)
    {
        var xyz = new float[3L * f.Width * f.Height];
        for (int v = 0; v < f.Height; v++)
            for (int u = 0; u < f.Width; u++)
            {
                int i = v * f.Width + u;
                float z = f.Depth[i];
                xyz[3 * i] = (float)((u - f.K.Cx) / f.K.Fx) * z;
                xyz[3 * i + 1] = (float)((v - f.K.Cy) / f.K.Fy) * z;
                xyz[3 * i + 2] = z;
            }
        return xyz;
    }

    // Optimised from the first call: the first frame is what this project measures, and tiered JIT would run it slow.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Warp(RgbdFrame f, float[] frameXyz, CropWindow w, Span<float> rgbPlanes, Span<float> xyzPlanes)
    {
        int s = w.Size, n = s * s, fw = f.Width, fh = f.Height;
        var rgb = f.Rgb;
        // The window is axis-aligned, so sample positions separate into per-column and per-row tables.
        Span<int> colX0 = stackalloc int[s], colXn = stackalloc int[s];
        Span<float> colAx = stackalloc float[s];
        for (int i = 0; i < s; i++)
        {
            float fx = (float)w.FrameX(i);
            colX0[i] = (int)MathF.Floor(fx);
            colAx[i] = fx - colX0[i];
            colXn[i] = (int)MathF.Floor(fx + 0.5f);
        }
        for (int j = 0; j < s; j++)
        {
            float fy = (float)w.FrameY(j);
            int y0 = (int)MathF.Floor(fy), yn = (int)MathF.Floor(fy + 0.5f);
            float ay = fy - y0;
            // Bilinear with a zero border, as cv2.warpPerspective(INTER_LINEAR, BORDER_CONSTANT) does.
            bool row0 = (uint)y0 < (uint)fh, row1 = (uint)(y0 + 1) < (uint)fh, rowN = (uint)yn < (uint)fh;
            int base0 = 3 * y0 * fw, base1 = 3 * (y0 + 1) * fw, baseN = 3 * yn * fw;
            float wy0 = row0 ? 1 - ay : 0, wy1 = row1 ? ay : 0;
            int rowOut = j * s;
            for (int i = 0; i < s; i++)
            {
                int o = rowOut + i, x0 = colX0[i];
                float ax = colAx[i];
                float wx0 = (uint)x0 < (uint)fw ? 1 - ax : 0, wx1 = (uint)(x0 + 1) < (uint)fw ? ax : 0;
                float r = 0, g = 0, b = 0;
                if (wy0 != 0)
                {
                    if (wx0 != 0) { int p = base0 + 3 * x0; float q = wy0 * wx0; r += q * rgb[p]; g += q * rgb[p + 1]; b += q * rgb[p + 2]; }
                    if (wx1 != 0) { int p = base0 + 3 * x0 + 3; float q = wy0 * wx1; r += q * rgb[p]; g += q * rgb[p + 1]; b += q * rgb[p + 2]; }
                }
                if (wy1 != 0)
                {
                    if (wx0 != 0) { int p = base1 + 3 * x0; float q = wy1 * wx0; r += q * rgb[p]; g += q * rgb[p + 1]; b += q * rgb[p + 2]; }
                    if (wx1 != 0) { int p = base1 + 3 * x0 + 3; float q = wy1 * wx1; r += q * rgb[p]; g += q * rgb[p + 1]; b += q * rgb[p + 2]; }
                }
                // Bilinear weights sum to 1 only up to rounding: keep the result inside 0..1.
                rgbPlanes[o] = MathF.Min(1f, r / 255f); rgbPlanes[n + o] = MathF.Min(1f, g / 255f); rgbPlanes[2 * n + o] = MathF.Min(1f, b / 255f);
                int xn = colXn[i];
                if (rowN && (uint)xn < (uint)fw)
                {
                    int p = baseN + 3 * xn;
                    xyzPlanes[o] = frameXyz[p]; xyzPlanes[n + o] = frameXyz[p + 1]; xyzPlanes[2 * n + o] = frameXyz[p + 2];
                }
                else { xyzPlanes[o] = 0; xyzPlanes[n + o] = 0; xyzPlanes[2 * n + o] = 0; }
            }
        }
    }
}
