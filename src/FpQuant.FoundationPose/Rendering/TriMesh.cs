using FpQuant.Geometry;

namespace FpQuant.Rendering;

/// <summary>
/// A triangle mesh in object units (metres). Positions are indexed by <see cref="Triangles"/>; normals and texture
/// coordinates have their own per-corner indices, as OBJ files store them.
/// </summary>
internal sealed class TriMesh
{
    public float[] Positions { get; }
    public int[] Triangles { get; }
    public float[] Normals { get; }
    public int[] NormalIndex { get; }
    public float[]? Uvs { get; }
    public int[]? UvIndex { get; }
    public float[]? VertexColors { get; }
    public RgbTexture? Texture { get; }
    public (float R, float G, float B) UniformColor { get; }
    public List<string> Warnings { get; } = new();
    public string Source { get; init; } = "in-memory mesh";

    public int VertexCount => Positions.Length / 3;
    public int TriangleCount => Triangles.Length / 3;

    /// <summary>
    /// True when every edge is shared by exactly two triangles that traverse it in opposite directions and the
    /// enclosed volume is positive: the surface is closed with outward-facing triangles, so back faces are always
    /// hidden and the rasterizer may skip them. Computed once, when the mesh is made: the rasterizer's threads only
    /// read it (computed lazily, every thread would do the work at once and could read a half-written value).
    /// </summary>
    public bool IsClosedAndOutward { get; }

    private static bool ComputeClosedOutward(float[] positions, int[] triangles)
    {
        // Directed edges as sorted keys: closed and consistently oriented means no directed edge twice and every
        // edge's reverse present.
        var keys = new long[triangles.Length];
        for (int t = 0; t < triangles.Length; t += 3)
            for (int e = 0; e < 3; e++)
            {
                int a = triangles[t + e], b = triangles[t + (e + 1) % 3];
                if (a == b) return false;
                keys[t + e] = ((long)a << 32) | (uint)b;
            }
        Array.Sort(keys);
        for (int i = 0; i < keys.Length; i++)
        {
            if (i > 0 && keys[i] == keys[i - 1]) return false;
            long reverse = ((keys[i] & 0xffffffffL) << 32) | (keys[i] >> 32);
            if (Array.BinarySearch(keys, reverse) < 0) return false;
        }
        double volume = 0;
        var p = positions;
        for (int t = 0; t < triangles.Length; t += 3)
        {
            int a = 3 * triangles[t], b = 3 * triangles[t + 1], c = 3 * triangles[t + 2];
            volume += p[a] * (p[b + 1] * (double)p[c + 2] - p[b + 2] * (double)p[c + 1])
                    - p[a + 1] * (p[b] * (double)p[c + 2] - p[b + 2] * (double)p[c])
                    + p[a + 2] * (p[b] * (double)p[c + 1] - p[b + 1] * (double)p[c]);
        }
        return volume > 0;
    }

    public MeshColorSource ColorSource =>
        Texture != null
            && Uvs != null ? MeshColorSource.Texture : VertexColors != null ? MeshColorSource.VertexColors
                : MeshColorSource.Uniform;

    public TriMesh(float[] positions, int[] triangles, float[]? normals = null, int[]? normalIndex = null,
        float[]? uvs = null, int[]? uvIndex = null, float[]? vertexColors = null, RgbTexture? texture = null,
        (float, float, float)? uniformColor = null)
        : this(positions, triangles, normals, normalIndex, uvs, uvIndex, vertexColors, texture, uniformColor,
            closedOutward: null)
    {
    }

    /// <param name="closedOutward">Known from the mesh this one is a rigid copy of, or null to compute.</param>
    private TriMesh(float[] positions, int[] triangles, float[]? normals, int[]? normalIndex, float[]? uvs,
        int[]? uvIndex,
        float[]? vertexColors, RgbTexture? texture, (float, float, float)? uniformColor, bool? closedOutward)
    {
        if (positions.Length % 3 != 0 || triangles.Length % 3 != 0)
            throw new ArgumentException("positions and triangles come in threes");
        int v = positions.Length / 3;
        foreach (int i in triangles) if ((uint)i >= (uint)v)
            throw new ArgumentException($"triangle index {i} outside 0..{v - 1}");
        Positions = positions;
        Triangles = triangles;
        if (normals == null || normalIndex == null)
            (normals, normalIndex) = (VertexNormals(positions, triangles), triangles);
        Normals = normals;
        NormalIndex = normalIndex;
        Uvs = uvs;
        UvIndex = uvIndex;
        VertexColors = vertexColors;
        Texture = texture;
        UniformColor = uniformColor ?? (0.5f, 0.5f, 0.5f);
        IsClosedAndOutward = closedOutward ?? ComputeClosedOutward(positions, triangles);
    }

    /// <summary>Area-weighted vertex normals for meshes that carry none.</summary>
    public static float[] VertexNormals(float[] p, int[] tri)
    {
        var n = new float[p.Length];
        for (int t = 0; t < tri.Length; t += 3)
        {
            int a = 3 * tri[t], b = 3 * tri[t + 1], c = 3 * tri[t + 2];
            float ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
            float vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
            float nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
            foreach (int k in new[] { a, b, c }) { n[k] += nx; n[k + 1] += ny; n[k + 2] += nz; }
        }
        for (int i = 0; i < n.Length; i += 3)
        {
            float len = MathF.Sqrt(n[i] * n[i] + n[i + 1] * n[i + 1] + n[i + 2] * n[i + 2]);
            if (len > 0) { n[i] /= len; n[i + 1] /= len; n[i + 2] /= len; }
        }
        return n;
    }

    public (Vec3 Min, Vec3 Max) Bounds()
    {
        double[] lo = { double.MaxValue, double.MaxValue, double.MaxValue },
            hi = { double.MinValue, double.MinValue, double.MinValue };
        for (int i = 0; i < Positions.Length; i++)
        {
            lo[i % 3] = Math.Min(lo[i % 3], Positions[i]);
            hi[i % 3] = Math.Max(hi[i % 3], Positions[i]);
        }
        return (new Vec3(lo[0], lo[1], lo[2]), new Vec3(hi[0], hi[1], hi[2]));
    }

    /// <summary>The centre of the bounding box: FoundationPose rotates hypotheses about it.</summary>
    public Vec3 BoundsCenter { get { var (a, b) = Bounds(); return (a + b) / 2; } }

    /// <summary>
    /// Largest distance between two vertices: exact up to 20,000 vertices, else over an even subsample.
    /// </summary>
    public double Diameter()
    {
        int v = VertexCount;
        int step = Math.Max(1, (v + 19_999) / 20_000);
        var idx = Enumerable.Range(0, (v + step - 1) / step).Select(i => i * step).ToArray();
        var best = new double[idx.Length];
        Parallel.For(0, idx.Length, a =>
        {
            int ia = 3 * idx[a];
            double m = 0;
            for (int b = a + 1; b < idx.Length; b++)
            {
                int ib = 3 * idx[b];
                double dx = Positions[ia] - Positions[ib], dy = Positions[ia + 1] - Positions[ib + 1],
                    dz = Positions[ia + 2] - Positions[ib + 2];
                double d = dx * dx + dy * dy + dz * dz;
                if (d > m) m = d;
            }
            best[a] = m;
        });
        return Math.Sqrt(best.Length > 0 ? best.Max() : 0);
    }

    /// <summary>A copy moved by -offset (positions only; everything else shared).</summary>
    public TriMesh Translated(Vec3 offset)
    {
        var p = (float[])Positions.Clone();
        for (int i = 0; i < p.Length; i += 3)
        {
            p[i] -= (float)offset.X; p[i + 1] -= (float)offset.Y; p[i + 2] -= (float)offset.Z;
        }
        // A translation keeps the surface closed and its volume's sign.
        var m = new TriMesh(p, Triangles, Normals, NormalIndex, Uvs, UvIndex, VertexColors, Texture, UniformColor,
            IsClosedAndOutward) { Source = Source };
        m.Warnings.AddRange(Warnings);
        return m;
    }
}
