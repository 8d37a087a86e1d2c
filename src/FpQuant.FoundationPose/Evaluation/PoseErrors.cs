using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;

namespace FpQuant.Evaluation;

/// <summary>
/// Pose errors of an estimate against the ground truth, poses in the model's units (mm), model points x:
/// ADD = mean ||P_e x - P_g x||; ADD-S = mean over x of the distance from P_g x to the nearest P_e y;
/// MSSD = min over symmetries S of max ||P_e x - P_g S x||; MSPD the same with both points projected (pixels).
/// </summary>
internal static class PoseErrors
{
    public static double Add(ReadOnlySpan<float> points, Pose est, Pose gt)
    {
        int n = points.Length / 3;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var x = new Vec3(points[3 * i], points[3 * i + 1], points[3 * i + 2]);
            sum += (est.R * x + est.T - (gt.R * x + gt.T)).Norm;
        }
        return sum / n;
    }

    /// <param name="tree">The same points in a k-d tree: each P_g x is taken into the model frame by P_e's inverse
    /// (distances do not change), where its nearest model point is found.</param>
    public static double Adds(ReadOnlySpan<float> points, PointTree tree, Pose est, Pose gt)
    {
        int n = points.Length / 3;
        var rel = est.Inverse * gt;
        var pts = points.ToArray();
        // Independent queries: spread over the cores (scoring runs between first frames, when they are idle).
        var partial = new double[Math.Max(1, Math.Min(Environment.ProcessorCount, n / 512))];
        Parallel.For(0, partial.Length, c =>
        {
            double sum = 0;
            for (int i = c * n / partial.Length, end = (c + 1) * n / partial.Length; i < end; i++)
            {
                var q = rel.R * new Vec3(pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]) + rel.T;
                sum += tree.Nearest(q.X, q.Y, q.Z);
            }
            partial[c] = sum;
        });
        return partial.Sum() / n;
    }

    public static double Mssd(ReadOnlySpan<float> points, IReadOnlyList<Pose> symmetries, Pose est, Pose gt)
    {
        double best = double.MaxValue;
        foreach (var s in symmetries)
        {
            // ||P_e x - P_g S x|| = ||D x + d|| with D = R_e - R_g R_s (not a rotation) and d = t_e - (R_g t_s + t_g).
            var gs = gt * s;
            double worst = 0;
            for (int i = 0; i < points.Length && worst < best; i += 3)
            {
                var x = new Vec3(points[i], points[i + 1], points[i + 2]);
                double e = (est.R * x + est.T - (gs.R * x + gs.T)).Norm;
                if (e > worst) worst = e;
            }
            if (worst < best) best = worst;
        }
        return best;
    }

    public static double Mspd(ReadOnlySpan<float> points, IReadOnlyList<Pose> symmetries, CameraIntrinsics k, Pose est,
        Pose gt)
    {
        int n = points.Length / 3;
        var pe = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            var c = est.R * new Vec3(points[3 * i], points[3 * i + 1], points[3 * i + 2]) + est.T;
            (pe[2 * i], pe[2 * i + 1]) = k.Project(c);
        }
        double best = double.MaxValue; // squared pixels until the end
        foreach (var s in symmetries)
        {
            var gs = gt * s;
            double worst = 0;
            for (int i = 0; i < n && worst < best; i++)
            {
                var c = gs.R * new Vec3(points[3 * i], points[3 * i + 1], points[3 * i + 2]) + gs.T;
                var (u, v) = k.Project(c);
                double du = u - pe[2 * i], dv = v - pe[2 * i + 1];
                double e = du * du + dv * dv;
                if (e > worst) worst = e;
            }
            if (worst < best) best = worst;
        }
        return Math.Sqrt(best);
    }

    /// <summary>All four for one estimate; an estimate with a NaN or infinity in it (a model that broke) is
    /// infinitely wrong rather than compared through NaN, which every comparison would pass.</summary>
    public static InstanceErrors All(EvalObjectModel model, CameraIntrinsics k, Pose est, Pose gt) => !IsFinite(est)
        ? new(double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity)
        : new(
        Add(model.PointsMm, est, gt), Adds(model.PointsMm, model.Tree, est, gt),
        Mssd(model.PointsMm, model.Symmetries, est, gt), Mspd(model.PointsMm, model.Symmetries, k, est, gt));

    public static bool IsFinite(Pose p) =>
        new[] { p.R.M00, p.R.M01, p.R.M02, p.R.M10, p.R.M11, p.R.M12, p.R.M20, p.R.M21, p.R.M22, p.T.X, p.T.Y,
            p.T.Z }.All(double.IsFinite);
}
