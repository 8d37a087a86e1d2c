using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Tests.Rendering;

/// <summary>
/// A closed mesh has no gaps, so its render must not either: a crack between two triangles that share an edge shows
/// as background inside the silhouette. "Inside" is defined without the rasterizer: a background pixel is a hole
/// when it cannot be reached from the image border by stepping between 4-neighbouring background pixels. For the
/// meshes here (bodies of revolution, whose silhouettes are simply connected from every side) every such pixel is a
/// crack.
/// </summary>
[Trait("Category", "Quick")]
public class WatertightTests
{
    private const int Size = 96;

    /// <summary>Background pixels enclosed by covered ones (flood fill of the background from the border).</summary>
    public static int CountHoles(int[] triangle, int w, int h, out int firstHole)
    {
        var outside = new bool[w * h];
        var queue = new Queue<int>();
        void Seed(int o) { if (triangle[o] < 0 && !outside[o]) { outside[o] = true; queue.Enqueue(o); } }
        for (int x = 0; x < w; x++) { Seed(x); Seed((h - 1) * w + x); }
        for (int y = 0; y < h; y++) { Seed(y * w); Seed(y * w + w - 1); }
        while (queue.Count > 0)
        {
            int o = queue.Dequeue(), x = o % w, y = o / w;
            if (x > 0) Seed(o - 1);
            if (x < w - 1) Seed(o + 1);
            if (y > 0) Seed(o - w);
            if (y < h - 1) Seed(o + w);
        }
        int holes = 0;
        firstHole = -1;
        for (int o = 0; o < w * h; o++)
            if (triangle[o] < 0 && !outside[o]) { holes++; if (firstHole < 0) firstHole = o; }
        return holes;
    }

    [Fact]
    public void HoleCounter_FindsAPunchedPixel_AndNotTheOutside()
    {
        // The definition itself on a hand-made buffer: a 5 x 5 covered block in a 9 x 9 image, centre removed.
        var t = Enumerable.Repeat(-1, 81).ToArray();
        for (int y = 2; y < 7; y++) for (int x = 2; x < 7; x++) t[y * 9 + x] = 0;
        Assert.Equal(0, CountHoles(t, 9, 9, out _));
        t[4 * 9 + 4] = -1;
        Assert.Equal(1, CountHoles(t, 9, 9, out int first));
        Assert.Equal(4 * 9 + 4, first);
        t[4 * 9 + 2] = -1; // a notch in the rim is outside, not a hole
        Assert.Equal(1, CountHoles(t, 9, 9, out _));
    }

    public static TheoryData<string, int, int, double> Meshes => new()
    {
        // name, rings, segments, distance: the demo bottle (sub-pixel triangles), and coarse ones whose long shared
        // edges and thin cap fans cross many pixel centres.
        { "bottle 80x96", 80, 96, 0.30 },
        { "bottle 6x11", 6, 11, 0.28 },
        { "bottle 3x7", 3, 7, 0.25 },
    };

    [Theory]
    [MemberData(nameof(Meshes))]
    public void ClosedMesh_FromEveryHypothesis_HasNoHoleInsideItsSilhouette(string name, int rings, int segments,
        double distance)
    {
        var mesh = DemoScene.Bottle(rings, segments);
        Assert.True(mesh.IsClosedAndOutward, name);
        // The bottle is 0.16 m tall: about 70 of the 96 pixels at these distances. The centre is off the pixel grid
        // so the object's symmetry planes do not line up with pixel centres.
        var k = new CameraIntrinsics(130 * distance / 0.3, 130 * distance / 0.3, 47.37, 48.21);
        var target = new RenderTarget(Size, Size);
        int renders = 0, covered = 0, holes = 0;
        var firsts = new List<string>();
        foreach (bool cull in new[] { true, false })
            foreach (var pose in PoseHypotheses.Generate(new Vec3(0.0013, -0.0021, distance), 252))
            {
                Rasterizer.Rasterize(mesh, pose, k, target, cull);
                renders++;
                covered += target.Triangle.Count(t => t >= 0);
                int n = CountHoles(target.Triangle, Size, Size, out int first);
                if (n > 0 && firsts.Count < 5)
                    firsts.Add($"render {renders} (cull {cull}) pixel ({first % Size}, {first / Size})");
                holes += n;
            }
        Assert.True(covered > renders * 1000, $"{name}: only {covered} pixels covered in {renders} renders");
        Assert.True(holes == 0, $"{name}: {holes} hole pixels in {renders} renders, e.g. {string.Join("; ", firsts)}");
    }
}
