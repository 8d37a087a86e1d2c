using FpQuant.Geometry;
using FpQuant.Rendering;

namespace FpQuant.Pipeline;

/// <summary>How far an estimated pose is from the true one: the rotation angle, the distance between the
/// translations, and ADD (the mean distance between the model's points under the two poses).</summary>
internal readonly record struct PoseError(double RotationDeg, double TranslationMm, double AddMm)
{
    /// <summary>
    /// At most this many model points enter ADD: evenly spaced vertices, so large scanned meshes stay cheap.
    /// </summary>
    public const int DefaultMaxPoints = 2000;

    /// <param name="points">Model points (x, y, z triples, metres) in the frame the poses map from.</param>
    public static PoseError Between(Pose truth, Pose estimate, ReadOnlySpan<float> points)
    {
        double add = 0;
        int n = points.Length / 3;
        for (int i = 0; i < n; i++)
        {
            var p = new Vec3(points[3 * i], points[3 * i + 1], points[3 * i + 2]);
            add += ((truth.R * p + truth.T) - (estimate.R * p + estimate.T)).Norm;
        }
        return new PoseError(Mat3.AngleDegrees(truth.R, estimate.R), 1000 * (truth.T - estimate.T).Norm,
            n > 0 ? 1000 * add / n : 0);
    }

    /// <summary>Up to <paramref name="maxPoints"/> of the mesh's vertices, evenly spaced in vertex order, plus
    /// <paramref name="offset"/> (a centred mesh's centre gives the points in the mesh file's frame).</summary>
    public static float[] ModelPoints(TriMesh mesh, Vec3 offset = default, int maxPoints = DefaultMaxPoints)
    {
        int v = mesh.VertexCount, step = Math.Max(1, (v + maxPoints - 1) / maxPoints);
        var pts = new float[3 * ((v + step - 1) / step)];
        for (int i = 0, o = 0; i < v; i += step, o += 3)
        {
            pts[o] = (float)(mesh.Positions[3 * i] + offset.X);
            pts[o + 1] = (float)(mesh.Positions[3 * i + 1] + offset.Y);
            pts[o + 2] = (float)(mesh.Positions[3 * i + 2] + offset.Z);
        }
        return pts;
    }
}
