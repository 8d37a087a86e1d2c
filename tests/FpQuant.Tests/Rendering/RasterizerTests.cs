using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Tests.Rendering;

/// <summary>The rasterizer against analytic cases: silhouettes, depths, planes, lighting, culling.</summary>
[Trait("Category", "Quick")]
public class RasterizerTests
{
    /// <summary>An axis-aligned cube of side s centred at the origin, outward triangles.</summary>
    private static TriMesh Cube(float s, (float, float, float) colour)
    {
        float h = s / 2;
        var p = new List<float>();
        for (int i = 0; i < 8; i++)
            p.AddRange(new[] { (i & 1) == 0 ? -h : h, (i & 2) == 0 ? -h : h, (i & 4) == 0 ? -h : h });
        int[][] quads = { new[] { 0, 2, 3, 1 }, new[] { 4, 5, 7, 6 }, new[] { 0, 1, 5, 4 }, new[] { 2, 6, 7, 3 },
            new[] { 0, 4, 6, 2 }, new[] { 1, 3, 7, 5 } };
        var t = quads.SelectMany(q => new[] { q[0], q[1], q[2], q[0], q[2], q[3] }).ToArray();
        // Flat normals: one per face, per corner indices.
        var normals = new List<float>();
        var ni = new List<int>();
        var pa = p.ToArray();
        for (int f = 0; f < 6; f++)
        {
            var q = quads[f];
            var a = new Vec3(pa[3 * q[0]], pa[3 * q[0] + 1], pa[3 * q[0] + 2]);
            var b = new Vec3(pa[3 * q[1]], pa[3 * q[1] + 1], pa[3 * q[1] + 2]);
            var c = new Vec3(pa[3 * q[2]], pa[3 * q[2] + 1], pa[3 * q[2] + 2]);
            var n = Vec3.Cross(b - a, c - a).Normalized;
            normals.AddRange(new[] { (float)n.X, (float)n.Y, (float)n.Z });
            ni.AddRange(Enumerable.Repeat(f, 6));
        }
        return new TriMesh(pa, t, normals.ToArray(), ni.ToArray(), uniformColor: colour);
    }

    [Fact]
    public void Cube_IsClosedAndOutward()
    {
        Assert.True(Cube(1, (1, 1, 1)).IsClosedAndOutward);
        var flipped = Cube(1, (1, 1, 1));
        var t = (int[])flipped.Triangles.Clone();
        (t[1], t[2]) = (t[2], t[1]); // one triangle turned inside out
        Assert.False(new TriMesh(flipped.Positions, t).IsClosedAndOutward);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CubeFacingTheCamera_SilhouetteArea_Depths_XyzAndLight(bool cull)
    {
        // Front face at z = 0.95 spans +-0.05 m: a square of half-side 500 * 0.05 / 0.95 = 26.3 px around (80.3, 70.6).
        var cube = Cube(0.1f, (0.6f, 0.4f, 0.2f));
        var k = new CameraIntrinsics(500, 500, 80.3, 70.6);
        var pose = new Pose(Mat3.Identity, new Vec3(0, 0, 1));
        var target = new RenderTarget(160, 140);
        Rasterizer.Rasterize(cube, pose, k, target, cull);
        double half = 500 * 0.05 / 0.95;
        int Count(double c) => Enumerable.Range(0, 200).Count(u => Math.Abs(u - c) <= half);
        int expected = Count(80.3) * Count(70.6);
        Assert.Equal(expected, target.Triangle.Count(t => t >= 0));
        var rgb = new float[3 * 160 * 140];
        var xyz = new float[3 * 160 * 140];
        MeshShader.Shade(cube, pose, k, target, rgb, xyz);
        int n = 160 * 140;
        for (int o = 0; o < n; o++)
        {
            if (target.Triangle[o] < 0) { Assert.Equal(0f, rgb[o]); Assert.Equal(0f, xyz[2 * n + o]); continue; }
            Assert.Equal(0.95f, target.Depth[o], 5);
            int u = o % 160, v = o / 160;
            Assert.Equal((u - 80.3) / 500 * 0.95, xyz[o], 5);
            Assert.Equal((v - 70.6) / 500 * 0.95, xyz[n + o], 5);
            // Facing the camera: diffuse 1, so colour * (0.8 + 0.5) clipped.
            Assert.Equal(Math.Min(1f, 0.6f * 1.3f), rgb[o], 5);
            Assert.Equal(0.4f * 1.3f, rgb[n + o], 5);
        }
    }

    [Fact]
    public void TiltedPlane_DepthAndTextureArePerspectiveCorrect_AndLightFollowsTheNormal()
    {
        // A 0.6 m square in the object's xy plane, turned 60 degrees about y, 1 m away: depth varies across it.
        // Its texture is a horizontal ramp (red = u), so the red channel tells which point of the square a pixel sees.
        var p = new float[] { -0.3f, -0.3f, 0, 0.3f, -0.3f, 0, 0.3f, 0.3f, 0, -0.3f, 0.3f, 0 };
        var tri = new[] { 0, 1, 2, 0, 2, 3 };
        var uvs = new float[] { 0, 0, 1, 0, 1, 1, 0, 1 };
        const int texW = 256;
        var tex = new float[3 * texW];
        for (int x = 0; x < texW; x++) tex[3 * x] = (x + 0.5f) / texW;
        var normals = new float[] { 0, 0, -1 };
        var mesh = new TriMesh(p, tri, normals, new int[6], uvs, tri, null, new RgbTexture(texW, 1, tex), (1, 1, 1));
        double a = 60 * Math.PI / 180;
        var r = new Mat3(Math.Cos(a), 0, Math.Sin(a), 0, 1, 0, -Math.Sin(a), 0, Math.Cos(a));
        var pose = new Pose(r, new Vec3(0, 0, 1));
        var k = new CameraIntrinsics(300, 300, 100, 100);
        var target = new RenderTarget(200, 200);
        Rasterizer.Rasterize(mesh, pose, k, target);
        int n = 200 * 200;
        var rgb = new float[3 * n];
        var xyz = new float[3 * n];
        MeshShader.Shade(mesh, pose, k, target, rgb, xyz);
        var normalCam = r * new Vec3(0, 0, -1);
        double planeD = Vec3.Dot(normalCam, pose.T);
        // By hand: the normal (0, 0, -1) turned 60 degrees about y is (-sin 60, 0, -cos 60); the light along the
        // camera's
        // +z gives diffuse = -n_z = cos 60 = 0.5, so the gain is 0.8 + 0.5 * 0.5 = 1.05.
        const double gain = 1.05;
        int covered = 0;
        for (int o = 0; o < n; o++)
        {
            if (target.Triangle[o] < 0) continue;
            covered++;
            var x = new Vec3(xyz[o], xyz[n + o], xyz[2 * n + o]);
            Assert.True(Math.Abs(Vec3.Dot(normalCam, x) - planeD) < 2e-6,
                $"pixel {o} is off the plane by {Vec3.Dot(normalCam, x) - planeD}");
            // The object-frame point under the pixel, hence its texture coordinate u = (x_obj + 0.3) / 0.6.
            var obj = r.T * (x - pose.T);
            double u = (obj.X + 0.3) / 0.6;
            if (u < 1.0 / texW || u > 1 - 1.0 / texW) continue; // the ramp wraps at the texture's edges
            if (rgb[o] >= 1f) continue;                         // colour x gain clipped at 1
            Assert.True(Math.Abs(rgb[o] / gain - u) < 2e-4,
                $"pixel {o}: red {rgb[o] / gain} but the point has u = {u}");
            Assert.Equal(0f, rgb[n + o]); // the ramp has no green
        }
        Assert.True(covered > 3000, $"only {covered} pixels covered");
    }

    /// <summary>A flat mesh at z = 1 seen by the camera fx = fy = 1, cx = cy = 0: a vertex (x, y) lands exactly on
    /// screen point (x, y), so edges can be put at known sub-pixel positions.</summary>
    private static TriMesh OnScreen(int[] triangles, params (float X, float Y)[] corners) =>
        new(corners.SelectMany(c => new[] { c.X, c.Y, 0f }).ToArray(), triangles);

    private static readonly CameraIntrinsics ScreenK = new(1, 1, 0, 0);
    private static readonly Pose AtOne = new(Mat3.Identity, new Vec3(0, 0, 1));

    [Fact]
    public void QuadAtSubPixelPositions_CoversExactlyThePixelsWhoseSamplePointsLieInside()
    {
        // The rasterizer's documented convention: pixel (u, v) is sampled at the point (u, v). An edge at x = 3.3
        // therefore first covers column 4; a half-pixel (or any) shift of the sampling grid moves some edge across a
        // column. Fractions stay 0.05 px or more from the grid, away from rounding ties.
        float[] fractions = { 0.05f, 0.3f, 0.55f, 0.8f, 0.95f };
        var target = new RenderTarget(20, 16);
        int cases = 0;
        foreach (float fl in fractions)
            foreach (float fr in fractions)
            {
                float ft = fractions[(cases + 1) % fractions.Length], fb = fractions[(cases + 3) % fractions.Length];
                float x0 = 3 + fl, x1 = 12 + fr, y0 = 2 + ft, y1 = 9 + fb;
                // Both diagonals and both windings must give the same coverage.
                foreach (var tri in new[] { new[] { 0, 1, 2, 0, 2, 3 }, new[] { 0, 2, 1, 0, 3, 2 },
                    new[] { 1, 2, 3, 1, 3, 0 } })
                {
                    var quad = OnScreen(tri, (x0, y0), (x1, y0), (x1, y1), (x0, y1));
                    Rasterizer.Rasterize(quad, AtOne, ScreenK, target);
                    for (int v = 0; v < 16; v++)
                        for (int u = 0; u < 20; u++)
                        {
                            bool inside = u >= x0 && u <= x1 && v >= y0 && v <= y1;
                            Assert.True(inside == target.Triangle[v * 20 + u] >= 0,
                                $"quad x [{x0}, {x1}] y [{y0}, {y1}]: pixel ({u}, {v}) should be " +
                                $"{(inside ? "covered" : "background")}");
                            if (inside) Assert.Equal(1f, target.Depth[v * 20 + u], 6);
                        }
                }
                cases++;
            }
    }

    [Fact]
    public void TriangleWithSlantedEdges_CoversExactlyThePixelsWhoseSamplePointsLieInside()
    {
        // Slanted edges cross rows at every sub-pixel offset. The expected set is the point-in-triangle test in
        // double precision; samples within 1e-3 px of an edge are left out (a tie either way is fine).
        var triangles = new (float X, float Y)[][]
        {
            new[] { (2.3f, 1.7f), (27.6f, 4.2f), (9.9f, 21.4f) },
            new[] { (30.2f, 0.4f), (1.15f, 12.85f), (22.45f, 23.6f) },
            new[] { (0.5f, 0.5f), (31.5f, 23.45f), (15.25f, 22.9f) }, // a long sliver
        };
        var target = new RenderTarget(32, 24);
        foreach (var c in triangles)
        {
            Rasterizer.Rasterize(OnScreen(new[] { 0, 1, 2 }, c), AtOne, ScreenK, target);
            int checkedPixels = 0, inside = 0;
            for (int v = 0; v < 24; v++)
                for (int u = 0; u < 32; u++)
                {
                    double minSigned = double.MaxValue;
                    double orient = Math.Sign(Cross(c[0], c[1], c[2].X, c[2].Y));
                    for (int e = 0; e < 3; e++)
                    {
                        var a = c[e]; var b = c[(e + 1) % 3];
                        double len = Math.Sqrt((b.X - a.X) * (double)(b.X - a.X) + (b.Y - a.Y) * (double)(b.Y - a.Y));
                        // signed distance to the edge's line
                        minSigned = Math.Min(minSigned, orient * Cross(a, b, u, v) / len);
                    }
                    if (Math.Abs(minSigned) < 1e-3) continue;
                    checkedPixels++;
                    bool expected = minSigned > 0;
                    if (expected) inside++;
                    Assert.True(expected == target.Triangle[v * 32 + u] >= 0,
                        $"triangle {string.Join(" ", c)}: pixel ({u}, {v}) at {minSigned:F4} px from the nearest " +
                        $"edge should be {(expected ? "covered" : "background")}");
                }
            Assert.True(checkedPixels > 32 * 24 - 5 && inside > 40, $"{checkedPixels} pixels checked, {inside} inside");
        }
    }

    private static double Cross((float X, float Y) a, (float X, float Y) b, double px, double py) =>
        ((double)b.X - a.X) * (py - a.Y) - ((double)b.Y - a.Y) * (px - a.X);

    [Fact]
    public void BackFaceCulling_GivesTheSameImage_OnAClosedMesh()
    {
        var mesh = DemoScene.Bottle();
        Assert.True(mesh.IsClosedAndOutward);
        var k = new CameraIntrinsics(700, 700, 80, 80);
        var a = new RenderTarget(160, 160);
        var b = new RenderTarget(160, 160);
        int differing = 0, covered = 0, silhouette = 0;
        foreach (var pose in PoseHypotheses.Generate(new Vec3(0.005, -0.01, 0.7), 252).Where((_, i) => i % 9 == 0))
        {
            Rasterizer.Rasterize(mesh, pose, k, a, cullBackFaces: true);
            Rasterizer.Rasterize(mesh, pose, k, b, cullBackFaces: false);
            for (int o = 0; o < a.Depth.Length; o++)
            {
                if ((a.Triangle[o] >= 0) != (b.Triangle[o] >= 0)) silhouette++;
                if (a.Triangle[o] >= 0) covered++;
                if (Math.Abs(a.Depth[o] - b.Depth[o]) > 1e-6f) differing++;
            }
        }
        // Only rim pixels, where a back face meets the front one on the silhouette edge, may differ (a sample that
        // rounding puts just inside the back triangle and just outside the front one).
        Assert.True(covered > 20_000);
        Assert.True(silhouette < covered / 1000, $"{silhouette} of {covered} silhouette pixels differ");
        Assert.True(differing < covered / 500, $"{differing} of {covered} depths differ");
    }
}
