using System.Globalization;
using System.Text;
using FpQuant.Datasets;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Rendering;

/// <summary>PLY models as BOP ships them: texture coordinates per vertex or per face corner, the texture named in a
/// header comment, rendered textured; the writer's textured and coloured models; models_eval's resampling.</summary>
[Trait("Category", "Heavy")]
public sealed class TexturedPlyTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    private static readonly CameraIntrinsics K = new(500, 500, 100, 100);
    /// <summary>
    /// The quad's four colours (4 x 4 blocks of 4 x 4 texels each), all below 1/1.3 so shading does not clip.
    /// </summary>
    private const int Blocks = 4;

    private static (byte R, byte G, byte B) BlockColour(int bx, int by) =>
        ((byte)(20 + 40 * bx), (byte)(30 + 35 * by), (byte)(180 - 20 * bx - 15 * by));

    /// <summary>Image row 0 is the top; texture v = 0 is the image's bottom row (OBJ/PLY convention).</summary>
    private string WriteTexture(string name, int blockTexels = 4)
    {
        int texSize = Blocks * blockTexels;
        var rgb = new byte[3 * texSize * texSize];
        for (int y = 0; y < texSize; y++)
            for (int x = 0; x < texSize; x++)
            {
                var (r, g, b) = BlockColour(x / blockTexels, y / blockTexels);
                rgb[3 * (y * texSize + x)] = r; rgb[3 * (y * texSize + x) + 1] = g; rgb[3 * (y * texSize + x) + 2] = b;
            }
        string path = _tmp.File(name);
        ImageFile.Save(path, rgb, texSize, texSize, jpegQuality: 100);
        return path;
    }

    /// <summary>A 0.1 m square in the z = 0 plane facing -z (towards a camera looking along +z), corners
    /// (-0.05, -0.05) .. (0.05, 0.05), u along x and v along -y (so the texture appears upright in the
    /// image).</summary>
    private string WriteQuadPly(string name, string texture, bool perVertex, string format = "ascii")
    {
        float[][] corners =
            { new[] { -0.05f, -0.05f }, new[] { 0.05f, -0.05f }, new[] { 0.05f, 0.05f }, new[] { -0.05f, 0.05f } };
        float U(float[] c) => (c[0] + 0.05f) / 0.1f;
        float V(float[] c) => (0.05f - c[1]) / 0.1f;
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder($"ply\nformat {format} 1.0\ncomment TextureFile {texture}\nelement vertex " +
            $"4\nproperty float x\nproperty float y\nproperty float z\nproperty float nx\nproperty float " +
            $"ny\nproperty float nz\n");
        if (perVertex) sb.Append("property float texture_u\nproperty float texture_v\n");
        sb.Append("element face 1\nproperty list uchar int vertex_indices\n");
        if (!perVertex) sb.Append("property list uchar float texcoord\n");
        sb.Append("end_header\n");
        foreach (var c in corners)
        {
            sb.Append(ci, $"{c[0]} {c[1]} 0 0 0 -1");
            if (perVertex) sb.Append(ci, $" {U(c)} {V(c)}");
            sb.Append('\n');
        }
        // One quad, wound so that its normal is -z.
        int[] order = { 0, 3, 2, 1 };
        sb.Append("4 " + string.Join(' ', order));
        if (!perVertex)
            sb.Append(" 8 " + string.Join(' ',
                order.Select(i => string.Create(ci, $"{U(corners[i])} {V(corners[i])}"))));
        sb.Append('\n');
        string path = _tmp.File(name);
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Theory]
    [InlineData(true, "tex.png", 4, 0.75, 0.0)]
    [InlineData(false, "tex.png", 4, 0.75, 0.0)]
    // JPEG is lossy (chroma subsampling, ringing near block edges): larger blocks, a wider margin, a few levels.
    [InlineData(true, "tex.jpg", 16, 4.0, 4.0)]
    public void TexturedQuad_RendersItsTexture(bool perVertex, string texture, int blockTexels, double margin,
        double toleranceLevels)
    {
        int texSize = Blocks * blockTexels;
        WriteTexture(texture, blockTexels);
        var mesh = MeshFiles.Load(WriteQuadPly("quad.ply", texture, perVertex));
        Assert.Equal(MeshColorSource.Texture, mesh.ColorSource);
        Assert.Empty(mesh.Warnings);
        // 0.5 m away the quad spans 100 x 100 pixels around the centre (50..150).
        var pose = new Pose(Mat3.Identity, new Vec3(0, 0, 0.5));
        var (target, rgb, _) = MeshShader.RenderImage(mesh, pose, K, 200, 200);
        int n = 200 * 200, checkedPixels = 0;
        float gain = MeshShader.AmbientWeight + MeshShader.DiffuseWeight; // the quad faces the light
        for (int py = 52; py < 148; py++)
            for (int px = 52; px < 148; px++)
            {
                Assert.True(target.Triangle[py * 200 + px] >= 0, $"pixel ({px}, {py}) not covered");
                // Texture coordinates of the pixel, in texels; skip pixels within the margin of a block edge, where
                // bilinear filtering mixes two blocks (it reaches half a texel).
                double tx = (px - 50) / 100.0 * texSize, ty = (py - 50) / 100.0 * texSize;
                double ex = tx - Math.Floor(tx / blockTexels) * blockTexels,
                    ey = ty - Math.Floor(ty / blockTexels) * blockTexels;
                if (ex < margin || ex > blockTexels - margin || ey < margin || ey > blockTexels - margin) continue;
                var (r, g, b) = BlockColour((int)(tx / blockTexels), (int)(ty / blockTexels));
                int o = py * 200 + px;
                Assert.Equal(r / 255.0 * gain, rgb[o], (toleranceLevels + 0.01) / 255 * gain);
                Assert.Equal(g / 255.0 * gain, rgb[n + o], (toleranceLevels + 0.01) / 255 * gain);
                Assert.Equal(b / 255.0 * gain, rgb[2 * n + o], (toleranceLevels + 0.01) / 255 * gain);
                checkedPixels++;
            }
        Assert.True(checkedPixels > 2000, $"{checkedPixels} pixels checked");
    }

    [Fact]
    public void BinaryTexturedPly_AsTheWriterWritesIt_RendersLikeTheMeshItCameFrom()
    {
        // The demo bottle has seams (its UVs have their own index), so the writer uses per-face texcoord lists.
        var bottle = DemoScene.Bottle();
        Assert.False(bottle.UvIndex!.AsSpan().SequenceEqual(bottle.Triangles));
        string path = _tmp.File("obj_000001.ply");
        PlyWriter.Write(bottle, path, 1);
        Assert.True(File.Exists(_tmp.File("obj_000001.png")));
        Assert.Contains("comment TextureFile obj_000001.png", File.ReadAllText(path)[..400]);
        var read = MeshFiles.Load(path);
        Assert.Equal(MeshColorSource.Texture, read.ColorSource);
        var pose = new Pose(Mat3.UniformRotation(0.3, 0.6, 0.2), new Vec3(0.01, -0.02, 0.6));
        // PLY normals are per vertex: the reference gets the same ones, so only the texture's path differs.
        var reference = new TriMesh(bottle.Positions, bottle.Triangles,
            TriMesh.VertexNormals(bottle.Positions, bottle.Triangles), bottle.Triangles,
            bottle.Uvs, bottle.UvIndex, null, bottle.Texture);
        var (ta, a, _) = MeshShader.RenderImage(reference, pose, DemoScene.K, 320, 240);
        var (tb, b, _) = MeshShader.RenderImage(read, pose, DemoScene.K, 320, 240);
        Assert.Equal(ta.Triangle, tb.Triangle);
        int covered = ta.Triangle.Count(t => t >= 0);
        Assert.True(covered > 2000);
        // The texture went through 8 bits: half a level, times the shading gain.
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 0.51f / 255 * 1.3f + 1e-5f);
        // A quad whose UVs are one per vertex is written with texture_u / texture_v.
        WriteTexture("t.png");
        var quad = MeshFiles.Load(WriteQuadPly("q.ply", "t.png", perVertex: true));
        PlyWriter.Write(quad, _tmp.File("q2.ply"), 1);
        string header = File.ReadAllText(_tmp.File("q2.ply"))[..300];
        Assert.Contains("property float texture_u", header);
        Assert.DoesNotContain("texcoord", header);
        Assert.Equal(MeshColorSource.Texture, MeshFiles.Load(_tmp.File("q2.ply")).ColorSource);
    }

    [Fact]
    public void MakeDataset_WritesATexturedBottle_AColouredBox_AndEvenCoarserEvalModels()
    {
        string root = _tmp.File("synth");
        SyntheticBopDataset.Write(root, 1, 0);
        var d = BopDataset.Open(root);
        Assert.True(File.Exists(Path.Combine(root, "models", "obj_000001.png")));
        var bottle = d.MeshMetres(SyntheticBopDataset.BottleId);
        Assert.Equal(MeshColorSource.Texture, bottle.ColorSource);
        Assert.Equal(MeshColorSource.VertexColors, d.MeshMetres(SyntheticBopDataset.BoxId).ColorSource);
        // The dataset's bottle renders as the one its images were rendered from (in metres).
        var pose = new Pose(Mat3.UniformRotation(0.7, 0.1, 0.9), new Vec3(0, 0, 0.55));
        var (_, a, _) = MeshShader.RenderImage(DemoScene.Bottle(), pose, DemoScene.K, 320, 240);
        var (_, b, _) = MeshShader.RenderImage(bottle, pose, DemoScene.K, 320, 240);
        double maxDiff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(maxDiff < 0.02, $"max difference {maxDiff}");

        foreach (int obj in new[] { SyntheticBopDataset.BottleId, SyntheticBopDataset.BoxId })
        {
            var model = MeshFiles.Load(Path.Combine(root, "models", BopDataset.ModelFileName(obj)));
            var eval = d.EvalMeshMm(obj);
            Assert.Contains("models_eval", eval.Source);
            double spacing = d.Models[obj].DiameterMm * MeshResampling.DefaultSpacingFraction;
            // Evenly spread: every point of the model's surface (its triangles' corners and centres) lies within one
            // cell's diagonal of an eval vertex.
            var tree = new FpQuant.Evaluation.PointTree(eval.Positions);
            var p = model.Positions;
            for (int t = 0; t < model.Triangles.Length; t += 3)
            {
                int i = 3 * model.Triangles[t], j = 3 * model.Triangles[t + 1], k = 3 * model.Triangles[t + 2];
                Assert.True(tree.Nearest(p[i], p[i + 1], p[i + 2]) <= spacing * Math.Sqrt(3));
                Assert.True(tree.Nearest((p[i] + p[j] + p[k]) / 3, (p[i + 1] + p[j + 1] + p[k + 1]) / 3,
                    (p[i + 2] + p[j + 2] + p[k + 2]) / 3) <= spacing * Math.Sqrt(3));
            }
            Assert.True(eval.TriangleCount > 0);
            if (obj == SyntheticBopDataset.BottleId)
                Assert.True(eval.VertexCount < model.VertexCount / 2, $"{eval.VertexCount} vs {model.VertexCount}");
            else Assert.True(eval.VertexCount > model.VertexCount, "the box's coarse faces are filled in evenly");
        }
        // Deterministic: the same seed writes the same bytes, models, texture and models_eval included.
        string again = _tmp.File("again");
        SyntheticBopDataset.Write(again, 1, 0);
        foreach (var f in new[] { "models/obj_000001.ply", "models/obj_000001.png", "models/obj_000002.ply",
            "models_eval/obj_000001.ply", "models_eval/obj_000002.ply", "models_eval/models_info.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, f)), File.ReadAllBytes(Path.Combine(again, f)));
    }
}
