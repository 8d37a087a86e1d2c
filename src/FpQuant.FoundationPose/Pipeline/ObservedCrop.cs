using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Pipeline;

/// <summary>The camera frame warped into a crop window: bilinear RGB (scaled to 0..1), nearest depth and XYZ.</summary>
internal static class ObservedCrop
{
    /// <summary>
    /// Camera-frame XYZ of every frame pixel from depth and K (interleaved), computed once per frame.
    /// </summary>
    public static float[] FrameXyz(RgbdFrame f)
    {
        var xyz = new float[3L * f.Width * f.Height];
        FrameXyz(f, xyz, 0, 0, f.Width, f.Height);
        return xyz;
    }

    /// <summary>The same over the pixels [x0, x1) x [y0, y1) only, into a reused frame-sized buffer.</summary>
    public static void FrameXyz(RgbdFrame f, float[] xyz, int x0, int y0, int x1, int y1)
    {
        var k = f.K;
        for (int v = y0; v < y1; v++)
            for (int u = x0; u < x1; u++)
            {
                int i = v * f.Width + u;
                float z = f.Depth[i];
                xyz[3 * i] = (float)k.RayX(u) * z;
                xyz[3 * i + 1] = (float)k.RayY(v) * z;
                xyz[3 * i + 2] = z;
            }
    }

    // Optimised from the first call: the first frame is what this project measures, and tiered JIT would run it slow.
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
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
                    if (wx0 != 0) { int p = base0 + 3 * x0; float q = wy0 * wx0; r += q * rgb[p]; g +=
                        q * rgb[p + 1]; b += q * rgb[p + 2]; }
                    if (wx1 != 0) { int p = base0 + 3 * x0 + 3; float q = wy0 * wx1; r += q * rgb[p]; g +=
                        q * rgb[p + 1]; b += q * rgb[p + 2]; }
                }
                if (wy1 != 0)
                {
                    if (wx0 != 0) { int p = base1 + 3 * x0; float q = wy1 * wx0; r += q * rgb[p]; g +=
                        q * rgb[p + 1]; b += q * rgb[p + 2]; }
                    if (wx1 != 0) { int p = base1 + 3 * x0 + 3; float q = wy1 * wx1; r += q * rgb[p]; g +=
                        q * rgb[p + 1]; b += q * rgb[p + 2]; }
                }
                // Bilinear weights sum to 1 only up to rounding: keep the result inside 0..1.
                rgbPlanes[o] = MathF.Min(1f, r / 255f); rgbPlanes[n + o] =
                    MathF.Min(1f, g / 255f); rgbPlanes[2 * n + o] = MathF.Min(1f, b / 255f);
                int xn = colXn[i];
                if (rowN && (uint)xn < (uint)fw)
                {
                    int p = baseN + 3 * xn;
                    xyzPlanes[o] = frameXyz[p]; xyzPlanes[n + o] = frameXyz[p + 1]; xyzPlanes[2 * n + o] =
                        frameXyz[p + 2];
                }
                else { xyzPlanes[o] = 0; xyzPlanes[n + o] = 0; xyzPlanes[2 * n + o] = 0; }
            }
        }
    }
}
