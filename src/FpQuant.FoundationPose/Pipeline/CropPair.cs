using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Networks;
using FpQuant.Rendering;

namespace FpQuant.Pipeline;

/// <summary>
/// One network input pair for one pose, as the first frame builds it: A = the mesh rendered straight into the pose's
/// window, B = the camera frame warped into the same window; each 6 planes (RGB, then XYZ normalised about the pose's
/// translation). The refiner and the scorer differ only in the window's ratio and the minimum depth.
/// </summary>
internal static class CropPair
{
    public const int Size = NetworkNames.CropSize;
    /// <summary>Floats in one crop: 6 planes of 160 x 160.</summary>
    public const int Floats = NetworkNames.Channels * Size * Size;

    /// <summary>
    /// The window ratio and minimum depth of the refiner (<paramref name="scoring"/> false) or the scorer.
    /// </summary>
    public static (double Ratio, float MinDepth) Thresholds(CropSettings s, bool scoring) =>
        scoring ? (s.ScoreCropRatio, CropNormalization.ScorerMinDepth)
            : (s.RefineCropRatio, CropNormalization.RefinerMinDepth);

    /// <param name="target">A 160 x 160 visibility buffer, reused between calls.</param>
    /// <param name="slot">The 6 x 160 x 160 output.</param>
    public static void Render(TriMesh centredMesh, Pose pose, CameraIntrinsics k, double diameter, double ratio,
        float minDepth, RenderTarget target, Span<float> slot)
    {
        int n = Size * Size;
        var kc = CropWindow.For(pose.T, k, diameter, ratio, Size).Intrinsics(k);
        Rasterizer.Rasterize(centredMesh, pose, kc, target);
        MeshShader.Shade(centredMesh, pose, kc, target, slot[..(3 * n)], slot[(3 * n)..]);
        CropNormalization.NormalizeXyz(slot[(3 * n)..], n, pose.T, diameter, minDepth);
    }

    /// <param name="frameXyz">The frame's XYZ (<see cref="ObservedCrop.FrameXyz(RgbdFrame)"/>), at least over the
    /// pixels the window reads (<see cref="CropWindow.FramePixels"/>).</param>
    public static void Observe(RgbdFrame frame, float[] frameXyz, Pose pose, double diameter, double ratio,
        float minDepth, Span<float> slot)
    {
        int n = Size * Size;
        var w = CropWindow.For(pose.T, frame.K, diameter, ratio, Size);
        ObservedCrop.Warp(frame, frameXyz, w, slot[..(3 * n)], slot[(3 * n)..]);
        CropNormalization.NormalizeXyz(slot[(3 * n)..], n, pose.T, diameter, minDepth);
    }
}
