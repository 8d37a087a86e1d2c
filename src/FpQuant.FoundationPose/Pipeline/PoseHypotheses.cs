using FpQuant.Geometry;
namespace FpQuant.Pipeline;

/// <summary>
/// FoundationPose's initial rotations (spec section 7): 42 views on a once-subdivided icosphere times 6 in-plane
/// rotations (0..300 degrees, step 60) = 252 hypotheses, all sharing the translation guess.
/// </summary>
internal static class PoseHypotheses
{
    public const int Views = 42;
    public const int InPlane = 6;

    public static List<Vec3> IcosphereVertices()
    {
        double p = (1 + Math.Sqrt(5)) / 2;
        var v = new List<Vec3>
        {
            new(-1, p, 0), new(1, p, 0), new(-1, -p, 0), new(1, -p, 0),
            new(0, -1, p), new(0, 1, p), new(0, -1, -p), new(0, 1, -p),
            new(p, 0, -1), new(p, 0, 1), new(-p, 0, -1), new(-p, 0, 1),
        };
        for (int i = 0; i < v.Count; i++) v[i] = v[i].Normalized;
        int[][] faces =
        {
            new[] { 0, 11, 5 }, new[] { 0, 5, 1 }, new[] { 0, 1, 7 }, new[] { 0, 7, 10 }, new[] { 0, 10, 11 },
            new[] { 1, 5, 9 }, new[] { 5, 11, 4 }, new[] { 11, 10, 2 }, new[] { 10, 7, 6 }, new[] { 7, 1, 8 },
            new[] { 3, 9, 4 }, new[] { 3, 4, 2 }, new[] { 3, 2, 6 }, new[] { 3, 6, 8 }, new[] { 3, 8, 9 },
            new[] { 4, 9, 5 }, new[] { 2, 4, 11 }, new[] { 6, 2, 10 }, new[] { 8, 6, 7 }, new[] { 9, 8, 1 },
        };
        // One subdivision: add each edge's midpoint once, pushed to the unit sphere.
        var mids = new Dictionary<(int, int), int>();
        foreach (var f in faces)
            for (int e = 0; e < 3; e++)
            {
                int a = f[e], b = f[(e + 1) % 3];
                var key = a < b ? (a, b) : (b, a);
                if (mids.ContainsKey(key)) continue;
                mids[key] = v.Count;
                v.Add(((v[a] + v[b]) / 2).Normalized);
            }
        return v;
    }

    /// <summary>The camera looking at the origin from view point v: z = -v, x = up x z, y = z x x.</summary>
    public static Mat3 CameraInObject(Vec3 v)
    {
        var z = (-v).Normalized;
        var up = new Vec3(0, 0, 1);
        var x = Vec3.Cross(up, z);
        x = x.Norm < 1e-8 ? new Vec3(1, 0, 0) : x.Normalized;
        var y = Vec3.Cross(z, x);
        return Mat3.FromColumns(x, y, z);
    }

    /// <summary>All hypotheses' rotations (object in camera), views outer, in-plane inner.</summary>
    public static List<Mat3> Rotations()
    {
        var list = new List<Mat3>(Views * InPlane);
        foreach (var v in IcosphereVertices())
        {
            var cam = CameraInObject(v);
            for (int k = 0; k < InPlane; k++)
            {
                var camInObj = cam * Mat3.RotZ(k * Math.PI / 3);
                list.Add(camInObj.T); // inverse of a rotation
            }
        }
        return list;
    }

    public static List<Pose> Generate(Vec3 translation, int count = Views * InPlane)
    {
        var rots = Rotations();
        if (count > rots.Count)
            throw new Core.FpQuantException($"at most {rots.Count} hypotheses exist, asked for {count}");
        return rots.Take(count).Select(r => new Pose(r, translation)).ToList();
    }
}
