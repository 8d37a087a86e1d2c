using FpQuant.Geometry;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Datasets;

/// <summary>
/// The second object of the synthetic dataset: a box with three different side lengths whose opposite faces share a
/// colour (with a darker rim), so it looks the same after a half turn about any of its axes — the three discrete
/// symmetries BOP's models_info.json lists for such an object.
/// </summary>
internal static class OccluderBox
{
    public static readonly Vec3 Size = new(0.09, 0.06, 0.04);

    /// <summary>The half turns about x, y and z (translation zero: the box is centred at the origin).</summary>
    public static IReadOnlyList<Pose> Symmetries => new[]
    {
        new Pose(new Mat3(1, 0, 0, 0, -1, 0, 0, 0, -1), default),
        new Pose(new Mat3(-1, 0, 0, 0, 1, 0, 0, 0, -1), default),
        new Pose(new Mat3(-1, 0, 0, 0, -1, 0, 0, 0, 1), default),
    };

    /// <summary>Each face a grid of <paramref name="cells"/> x <paramref name="cells"/> quads (so the model has enough
    /// vertices to measure errors on), vertex-coloured, wound outward.</summary>
    public static TriMesh Create(int cells = 8)
    {
        var pos = new List<float>(); var col = new List<float>(); var tri = new List<int>();
        double[] size = { Size.X, Size.Y, Size.Z };
        (float R, float G, float B)[] faceColour = { (0.15f, 0.35f, 0.75f), (0.75f, 0.2f, 0.2f), (0.85f, 0.85f, 0.8f) };
        for (int a = 0; a < 3; a++)
            foreach (int sign in new[] { 1, -1 })
            {
                int b = (a + 1) % 3, c = (a + 2) % 3, start = pos.Count / 3;
                for (int v = 0; v <= cells; v++)
                    for (int u = 0; u <= cells; u++)
                    {
                        var p = new double[3];
                        p[a] = sign * size[a] / 2;
                        p[b] = ((double)u / cells - 0.5) * size[b];
                        p[c] = ((double)v / cells - 0.5) * size[c];
                        pos.AddRange(new[] { (float)p[0], (float)p[1], (float)p[2] });
                        bool rim = u == 0 || v == 0 || u == cells || v == cells;
                        float shade = rim ? 0.55f : 1f;
                        var fc = faceColour[a];
                        col.AddRange(new[] { fc.R * shade, fc.G * shade, fc.B * shade });
                    }
                int V(int u, int v) => start + v * (cells + 1) + u;
                for (int v = 0; v < cells; v++)
                    for (int u = 0; u < cells; u++)
                    {
                        // e_b x e_c = e_a, so (u, v) -> (u+1, v) -> (u+1, v+1) turns counter-clockwise about +e_a.
                        if (sign > 0)
                            tri.AddRange(new[] { V(u, v), V(u + 1, v), V(u + 1, v + 1), V(u, v), V(u + 1, v + 1),
                                V(u, v + 1) });
                        else tri.AddRange(new[] { V(u, v), V(u + 1, v + 1), V(u + 1, v), V(u, v), V(u, v + 1),
                            V(u + 1, v + 1) });
                    }
            }
        return new TriMesh(pos.ToArray(), tri.ToArray(), vertexColors: col.ToArray()) { Source = "occluder box" };
    }
}
