using System.Buffers.Binary;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Rendering;

[Trait("Category", "Quick")]
public class MeshFileTests
{
    private static string Mustard => TestPaths.Meshes("mustard", "textured_simple.obj");

    [Fact]
    public void Mustard_Loads_WithKdColour_AndAWarningAboutItsMissingTexture()
    {
        var m = MeshFiles.Load(Mustard);
        Assert.Equal(7866, m.VertexCount);
        Assert.Equal(15728, m.TriangleCount);
        Assert.Equal(MeshColorSource.Uniform, m.ColorSource);
        Assert.Equal(0.639216f, m.UniformColor.R, 5);
        Assert.Contains(m.Warnings, w => w.Contains("texture_map.png") && w.Contains("missing") && w.Contains("Kd"));
        Assert.True(m.IsClosedAndOutward);
        // The diameter is a vertex-pair distance: at least the longest box side, at most the box diagonal.
        var (lo, hi) = m.Bounds();
        var size = hi - lo;
        double d = m.Diameter();
        Assert.InRange(d, Math.Max(size.X, Math.Max(size.Y, size.Z)), size.Norm + 1e-9);
        Assert.InRange(d, 0.18, 0.23); // "about 0.2 m" (the README)
    }

    [Fact]
    public void Obj_Quads_NegativeIndices_VertexColours_AndATexture()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("quad.obj"),
            "v 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 1 1 0 0 0 1\nv 0 1 0 1 1 1\nf -4 -3 -2 -1\n");
        var q = MeshFiles.Load(tmp.File("quad.obj"));
        Assert.Equal(2, q.TriangleCount);
        Assert.Equal(new[] { 0, 1, 2, 0, 2, 3 }, q.Triangles);
        Assert.Equal(MeshColorSource.VertexColors, q.ColorSource);
        Assert.Equal(0f, q.Normals[0]); Assert.Equal(1f, q.Normals[2]); // computed: +z for counter-clockwise in xy

        Png.Write(tmp.File("tex.png"), new PngImage(2, 1, 3, 8, new ushort[] { 255, 0, 0, 0, 0, 255 }));
        File.WriteAllText(tmp.File("t.mtl"), "newmtl a\nKd 0.2 0.3 0.4\nmap_Kd tex.png\n");
        File.WriteAllText(tmp.File("t.obj"),
            "mtllib t.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0.25 0.5\nvt 0.75 0.5\nvt 0.25 0.5\nvn 0 0 2\nusemtl a\nf " +
            "1/1/1 2/2/1 3/3/1\n");
        var t = MeshFiles.Load(tmp.File("t.obj"));
        Assert.Equal(MeshColorSource.Texture, t.ColorSource);
        Assert.Empty(t.Warnings);
        Assert.Equal(1f, t.Normals[2]); // normalised on load
        t.Texture!.Sample(0.25f, 0.5f, out float r, out _, out float b);
        Assert.Equal((1f, 0f), (r, b)); // texel centre of the red texel
    }

    [Theory]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n", "line 4", "vertex 9")]
    [InlineData("v 0 0 zero\n", "line 1", "'zero'")]
    [InlineData("v 0 0 0\nv 1 0 0\nf 1 2\n", "line 3", "at least 3")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\n", "no faces", "")]
    [InlineData("hello world\n", "no vertices", "")]
    public void BrokenObj_IsAClearErrorNamingFileAndLine(string text, string must1, string must2)
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("bad.obj"), text);
        var e = Assert.Throws<FpQuantException>(() => MeshFiles.Load(tmp.File("bad.obj")));
        Assert.Contains("bad.obj", e.Message);
        Assert.Contains(must1, e.Message);
        Assert.Contains(must2, e.Message);
    }

    [Fact]
    public void Ply_AsciiAndBinary_GiveTheSameMesh_AndTruncationIsAnError()
    {
        using var tmp = new TempDir();
        string header(string format) => $"ply\nformat {format} 1.0\ncomment test\nelement vertex 4\nproperty float " +
            $"x\nproperty float y\nproperty float z\n" +
            "property uchar red\nproperty uchar green\nproperty uchar blue\nelement face 1\nproperty list uchar int " +
            "vertex_indices\nend_header\n";
        float[][] v = { new[] { 0f, 0, 0 }, new[] { 1f, 0, 0 }, new[] { 1f, 1, 0.5f }, new[] { 0f, 1, 0 } };
        File.WriteAllText(tmp.File("a.ply"),
            header("ascii") + string.Concat(v.Select((p, i) =>
                $"{p[0]} {p[1]} {p[2]} {i * 50} 0 255\n")) + "4 0 1 2 3\n");
        var bin = new List<byte>(System.Text.Encoding.ASCII.GetBytes(header("binary_little_endian")));
        var buf = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            foreach (var c in v[i]) { BinaryPrimitives.WriteSingleLittleEndian(buf, c); bin.AddRange(buf); }
            bin.AddRange(new byte[] { (byte)(i * 50), 0, 255 });
        }
        bin.Add(4);
        foreach (int i in new[] { 0, 1, 2, 3 }) { BinaryPrimitives.WriteInt32LittleEndian(buf, i); bin.AddRange(buf); }
        File.WriteAllBytes(tmp.File("b.ply"), bin.ToArray());
        var a = MeshFiles.Load(tmp.File("a.ply"));
        var b = MeshFiles.Load(tmp.File("b.ply"));
        Assert.Equal(a.Positions, b.Positions);
        Assert.Equal(new[] { 0, 1, 2, 0, 2, 3 }, b.Triangles);
        Assert.Equal(a.VertexColors, b.VertexColors);
        Assert.Equal(150 / 255f, b.VertexColors![9], 6);
        File.WriteAllBytes(tmp.File("t.ply"), bin.Take(bin.Count - 6).ToArray());
        var e = Assert.Throws<FpQuantException>(() => MeshFiles.Load(tmp.File("t.ply")));
        Assert.Contains("t.ply", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void ObjWriter_RoundTripsTheDemoBottle_WithItsTexture()
    {
        using var tmp = new TempDir();
        var m = DemoScene.Bottle();
        ObjWriter.Write(m, tmp.File("mesh.obj"));
        var back = MeshFiles.Load(tmp.File("mesh.obj"));
        Assert.Empty(back.Warnings);
        Assert.Equal(m.Positions, back.Positions);
        Assert.Equal(m.Triangles, back.Triangles);
        Assert.Equal(m.UvIndex, back.UvIndex);
        Assert.Equal(MeshColorSource.Texture, back.ColorSource);
        Assert.True(back.IsClosedAndOutward);
        for (int i = 0; i < m.Texture!.Rgb.Length; i++)
            Assert.True(Math.Abs(m.Texture.Rgb[i] - back.Texture!.Rgb[i]) <= 0.5f / 255 + 1e-6f);
    }
}
