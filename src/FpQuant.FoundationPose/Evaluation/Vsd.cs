using FpQuant.Geometry;
using FpQuant.Rendering;

namespace FpQuant.Evaluation;

/// <summary>
/// BOP's Visible Surface Discrepancy (the definition of the BOP Challenge since 2019): the model is rendered at the
/// estimated and at the true pose, and each rendering is turned into distance from the camera centre (not depth
/// along z). A rendered pixel is visible when the test image has no depth there or the rendering lies at most delta
/// behind the test surface; the estimate's visible mask also takes every pixel visible in the truth where the
/// estimate is rendered at all. Over the union U of the two masks, a pixel of their intersection is wrong when the two
/// distances differ by tau or more (the "step" cost) and a pixel of only one mask is always wrong:
/// e = (wrong intersection pixels + |U| - |intersection|) / |U|, and 1 when U is empty. tau is normalised by the
/// object's diameter and runs 0.05..0.5; an estimate is correct at threshold theta (0.05..0.5) when e &lt; theta, and
/// AR_VSD averages the recall over every (tau, theta). Symmetries need no special case: a pose that shows the same
/// surface gives the same distances.
/// </summary>
internal static class Vsd
{
    /// <summary>The visibility tolerance in mm (BOP's delta for its core datasets).</summary>
    public const double DefaultDeltaMm = 15;
    /// <summary>Misalignment tolerances as fractions of the diameter: 0.05 to 0.5 in steps of 0.05.</summary>
    public static readonly double[] TauFractions = Enumerable.Range(1, 10).Select(i => 0.05 * i).ToArray();
    /// <summary>The error thresholds an estimate must stay under: 0.05 to 0.5 in steps of 0.05.</summary>
    public static readonly double[] Thresholds = Enumerable.Range(1, 10).Select(i => 0.05 * i).ToArray();

    /// <summary>
    /// The error at each tau of <see cref="TauFractions"/> from three distance images (0 = no surface).
    /// </summary>
    public static double[] Errors(ReadOnlySpan<float> distEst, ReadOnlySpan<float> distGt, ReadOnlySpan<float> distTest,
        double deltaMm, double diameterMm)
    {
        if (distEst.Length != distGt.Length || distGt.Length != distTest.Length)
            throw new ArgumentException("distance images differ in size");
        var wrong = new long[TauFractions.Length];
        long union = 0, inter = 0;
        for (int i = 0; i < distGt.Length; i++)
        {
            float e = distEst[i], g = distGt[i], t = distTest[i];
            bool visGt = g > 0 && (t == 0 || g - t <= deltaMm);
            bool visEst = e > 0 && (t == 0 || e - t <= deltaMm || visGt);
            if (!visGt && !visEst) continue;
            union++;
            if (!(visGt && visEst)) continue;
            inter++;
            double d = Math.Abs(g - e) / diameterMm;
            for (int k = 0; k < TauFractions.Length; k++) if (d >= TauFractions[k]) wrong[k]++;
        }
        var errors = new double[TauFractions.Length];
        for (int k = 0; k < errors.Length; k++) errors[k] = union == 0 ? 1 : (double)(wrong[k] + union - inter) / union;
        return errors;
    }

    /// <summary>The mean over every (tau, threshold) of the fraction of instances whose error at tau is below the
    /// threshold: BOP's AR_VSD over these instances (0..1). A null entry (no estimate) is wrong everywhere.</summary>
    public static double AverageRecall(IReadOnlyList<double[]?> errors)
    {
        if (errors.Count == 0) return 0;
        double sum = 0;
        for (int k = 0; k < TauFractions.Length; k++)
            foreach (double th in Thresholds)
                sum += (double)errors.Count(e => e != null && e[k] < th) / errors.Count;
        return sum / (TauFractions.Length * Thresholds.Length);
    }

    /// <summary>
    /// Distances from the camera centre of a depth image (same units): depth x |(x', y', 1)| per pixel.
    /// </summary>
    public static float[] DistanceImage(ReadOnlySpan<float> depth, CameraIntrinsics k, int width, int height)
    {
        var d = new float[depth.Length];
        for (int v = 0; v < height; v++)
        {
            double y = k.RayY(v);
            for (int u = 0; u < width; u++)
            {
                int i = v * width + u;
                if (depth[i] <= 0) continue;
                double x = k.RayX(u);
                d[i] = (float)(depth[i] * Math.Sqrt(x * x + y * y + 1));
            }
        }
        return d;
    }

    /// <summary>The distance image of <paramref name="meshMm"/> rendered at <paramref name="poseMm"/>.</summary>
    public static float[] RenderDistance(TriMesh meshMm, Pose poseMm, CameraIntrinsics k, int width, int height)
    {
        var target = new RenderTarget(width, height);
        Rasterizer.Rasterize(meshMm, poseMm, k, target);
        return DistanceImage(target.Depth, k, width, height);
    }
}

/// <summary>VSD for one instance: the test image's distances and the truth's rendering, made once and shared by
/// every variant's estimate.</summary>
internal sealed class VsdInstance
{
    private readonly TriMesh _meshMm;
    private readonly CameraIntrinsics _k;
    private readonly int _w, _h;
    private readonly float[] _distTest, _distGt;
    private readonly double _deltaMm, _diameterMm;

    /// <param name="testDepthMm">The test image's depth in mm, row-major, 0 where missing.</param>
    public VsdInstance(TriMesh meshMm, CameraIntrinsics k, int width, int height, ReadOnlySpan<float> testDepthMm,
        Pose gtMm, double diameterMm, double deltaMm = Vsd.DefaultDeltaMm)
    {
        if (testDepthMm.Length != width * height)
            throw new ArgumentException("the test depth does not match the image size");
        _meshMm = meshMm; _k = k; _w = width; _h = height; _deltaMm = deltaMm; _diameterMm = diameterMm;
        _distTest = Vsd.DistanceImage(testDepthMm, k, width, height);
        _distGt = Vsd.RenderDistance(meshMm, gtMm, k, width, height);
    }

    /// <summary>
    /// The errors at each tau; an estimate with a NaN or infinity in it is wrong at every tau (error 1).
    /// </summary>
    public double[] Errors(Pose estMm) => !PoseErrors.IsFinite(estMm)
        ? Vsd.TauFractions.Select(_ => 1.0).ToArray()
        : Vsd.Errors(Vsd.RenderDistance(_meshMm, estMm, _k, _w, _h), _distGt, _distTest, _deltaMm, _diameterMm);
}
