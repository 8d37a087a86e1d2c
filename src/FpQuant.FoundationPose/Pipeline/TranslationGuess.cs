using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Pipeline;

/// <summary>FoundationPose's translation guess t = K^-1 [u, v, 1]^T z: the mask's bounding-box centre (u, v) at the
/// median mask depth z (spec section 7); with what it was computed from.</summary>
internal sealed record TranslationGuess(Vec3 T, double CenterU, double CenterV, double MedianDepth, int MaskPixels,
    int ValidDepthPixels)
{
    public const float MinValidDepth = 0.001f;

    /// <summary>
    /// Centre of the mask's bounding box, median depth over mask pixels with depth ≥ 0.001 m, back-projected.
    /// </summary>
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
            throw new FpQuantException($"{maskName} has no pixels set; the mask must mark the object (non-zero " +
                $"pixels) in the {f.Width}x{f.Height} frame");
        if (depths.Count == 0)
            throw new FpQuantException($"{depthName} has no valid pixel (depth >= {MinValidDepth} m) inside the " +
                $"mask's {count} pixels; check the depth units (16-bit PNG = millimetres, raw float32 = metres) and " +
                $"that depth and mask are aligned");
        depths.Sort();
        int m = depths.Count / 2;
        // numpy.median: the mean of the two middle values for an even count.
        double z = depths.Count % 2 == 1 ? depths[m] : (depths[m - 1] + (double)depths[m]) / 2;
        double cu = (minU + maxU) / 2.0, cv = (minV + maxV) / 2.0;
        var t = f.K.BackProject(cu, cv, z);
        return new TranslationGuess(t, cu, cv, z, count, depths.Count);
    }
}
