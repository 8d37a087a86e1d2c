namespace FpQuant.Rendering;

/// <summary>
/// Evenly resampled, coarser meshes (BOP's models_eval/): errors are averaged or maximised over a model's vertices, so
/// the vertices should cover the surface evenly, not crowd where the modeller needed detail. Every triangle is first
/// split into a barycentric grid whose edges are at most half the spacing (so every cell the surface crosses gets a
/// point), then vertices are clustered on a grid of cubes of the spacing: each cube's points become one vertex at
/// their mean, and the triangles between three different cubes are kept (with their winding). Deterministic.
/// </summary>
internal static class MeshResampling
{
    /// <summary>
    /// The default spacing as a fraction of the diameter: about 2,000-3,000 vertices for a compact object.
    /// </summary>
    public const double DefaultSpacingFraction = 1.0 / 40;
    private static readonly double[] EmptyCellSums = [0.0, 0.0, 0.0];

    public static TriMesh Resample(TriMesh mesh, double spacing)
    {
        if (!(spacing > 0) || !double.IsFinite(spacing))
            throw new ArgumentOutOfRangeException(nameof(spacing), spacing, "spacing must be positive");
        var cells = new Dictionary<(long, long, long), int>();
        var sums = new List<double>();
        var counts = new List<int>();
        var triangles = new List<int>();
        var seen = new HashSet<(int, int, int)>();
        var p = mesh.Positions;
        double half = spacing / 2;
        int Cell(double x, double y, double z)
        {
            var key = ((long)Math.Floor(x / spacing), (long)Math.Floor(y / spacing), (long)Math.Floor(z / spacing));
            if (!cells.TryGetValue(key, out int id))
            {
                id = cells.Count;
                cells.Add(key, id);
                sums.AddRange(EmptyCellSums);
                counts.Add(0);
            }
            return id;
        }
        int[] grid = Array.Empty<int>();
        for (int t = 0; t < mesh.Triangles.Length; t += 3)
        {
            int a = 3 * mesh.Triangles[t], b = 3 * mesh.Triangles[t + 1], c = 3 * mesh.Triangles[t + 2];
            double Edge(int u, int v) => Math.Sqrt(Sq(p[u] - p[v]) + Sq(p[u + 1] - p[v + 1]) + Sq(p[u + 2] - p[v + 2]));
            int n = Math.Max(1, (int)Math.Ceiling(Math.Max(Edge(a, b), Math.Max(Edge(b, c), Edge(c, a))) / half));
            int points = (n + 1) * (n + 2) / 2;
            if (grid.Length < points) grid = new int[points];
            // Grid point (i, j) = a + i/n (b - a) + j/n (c - a), i + j <= n; row-major in j.
            int Index(int i, int j) => j * (n + 1) - j * (j - 1) / 2 + i;
            for (int j = 0; j <= n; j++)
                for (int i = 0; i + j <= n; i++)
                {
                    double u = (double)i / n, v = (double)j / n, w = 1 - u - v;
                    double x = w * p[a] + u * p[b] + v * p[c], y = w * p[a + 1] + u * p[b + 1] + v * p[c + 1],
                        z = w * p[a + 2] + u * p[b + 2] + v * p[c + 2];
                    int id = Cell(x, y, z);
                    sums[3 * id] += x; sums[3 * id + 1] += y; sums[3 * id + 2] += z;
                    counts[id]++;
                    grid[Index(i, j)] = id;
                }
            void Add(int q, int r, int s)
            {
                if (q == r || r == s || q == s) return;
                // One key per triangle and winding: rotated so that its smallest vertex comes first.
                var key = q < r && q < s ? (q, r, s) : r < s ? (r, s, q) : (s, q, r);
                if (seen.Add(key)) triangles.AddRange(new[] { q, r, s });
            }
            for (int j = 0; j < n; j++)
                for (int i = 0; i + j < n; i++)
                {
                    Add(grid[Index(i, j)], grid[Index(i + 1, j)], grid[Index(i, j + 1)]);
                    if (i + j + 1 < n) Add(grid[Index(i + 1, j)], grid[Index(i + 1, j + 1)], grid[Index(i, j + 1)]);
                }
        }
        var positions = new float[3 * counts.Count];
        for (int k = 0; k < counts.Count; k++)
            for (int d = 0; d < 3; d++) positions[3 * k + d] = (float)(sums[3 * k + d] / counts[k]);
        return new TriMesh(positions, triangles.ToArray()) { Source = $"{mesh.Source} resampled every {spacing:G3}" };
    }

    private static double Sq(double x) => x * x;
}
