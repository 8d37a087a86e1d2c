using System.Text;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Rendering;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Hostile;

/// <summary>A textured PLY's texture and texture coordinates: whatever is wrong is one line naming the file.</summary>
[Trait("Category", "Quick")]
public sealed class HostileTexturedPlyTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    private const string Vertices = "0 0 0 0 0\n1 0 0 1 0\n0 1 0 0 1\n";

    private string Ply(string name, string texture, string faceProps, string faces,
        string vertexProps = "property float s\nproperty float t\n", string vertices = Vertices)
    {
        string p = _tmp.File(name);
        File.WriteAllText(p,
            $"ply\nformat ascii 1.0\ncomment TextureFile {texture}\nelement vertex 3\nproperty float x\nproperty " +
            $"float y\nproperty float z\n{vertexProps}" +
            $"element face 1\nproperty list uchar int vertex_indices\n{faceProps}end_header\n{vertices}{faces}");
        return p;
    }

    private void GoodTexture(string name) => Png.Write(_tmp.File(name), new PngImage(2, 2, 3, 8, new ushort[12]));

    private static FpQuantException Refused(string path, params string[] mustContain)
    {
        var e = Assert.Throws<FpQuantException>(() => MeshFiles.Load(path));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains(Path.GetFileName(path), e.Message);
        foreach (var s in mustContain) Assert.Contains(s, e.Message);
        return e;
    }

    [Fact]
    public void MissingTexture_IsOneLineNamingTheModelAndTheTexture() =>
        Refused(Ply("m.ply", "obj_000001.png", "", "3 0 1 2\n"), "obj_000001.png", "does not exist");

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("empty")]
    public void CorruptTexture_IsOneLine(string kind)
    {
        var png = Png.Encode(new PngImage(64, 64, 3, 8,
            Enumerable.Range(0, 64 * 64 * 3).Select(i => (ushort)(i * 7 % 256)).ToArray()));
        byte[] bytes = kind switch
        {
            "garbage" => Encoding.ASCII.GetBytes("this is not an image at all, not even close"),
            "truncated" => png[..(png.Length / 2)],
            _ => Array.Empty<byte>(),
        };
        File.WriteAllBytes(_tmp.File("bad.png"), bytes);
        Refused(Ply("c.ply", "bad.png", "", "3 0 1 2\n"), "bad.png");
    }

    [Fact]
    public void JpegTextureClaimingAHugeSize_IsRefusedBeforeDecoding()
    {
        // A JPEG header's frame size patched to 65000 x 65000.
        var rgb = new byte[3 * 8 * 8];
        ImageFile.Save(_tmp.File("big.jpg"), rgb, 8, 8);
        var jpg = File.ReadAllBytes(_tmp.File("big.jpg"));
        int sof = jpg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        Assert.True(sof > 0);
        jpg[sof + 5] = 0xFD; jpg[sof + 6] = 0xE8; jpg[sof + 7] = 0xFD; jpg[sof + 8] = 0xE8;
        File.WriteAllBytes(_tmp.File("big.jpg"), jpg);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Refused(Ply("j.ply", "big.jpg", "", "3 0 1 2\n"), "big.jpg", "65000x65000");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20);
    }

    [Theory]
    [InlineData("../outside.png")]
    [InlineData("/etc/passwd")]
    public void TextureOutsideTheModelsFolder_IsRefused(string name)
    {
        GoodTexture("outside.png");
        Refused(Ply("o.ply", name, "", "3 0 1 2\n"), "beside the model");
    }

    [Theory]
    [InlineData("3 0 1 2 4 0 0 1 0\n", "4 values")]          // two corners' u v for three corners
    [InlineData("3 0 1 2 0\n", "0 values")]                  // an empty list
    [InlineData("3 0 1 2 6 0 0 1 0 0 nan\n", "not a number")] // parsed as a number by the reader, refused
    [InlineData("3 0 1 2 6 0 0 1 0 0 1e39\n", "texture coordinate")]
    public void BadTexcoordList_IsOneLine(string face, string mention)
    {
        GoodTexture("t.png");
        var e = Assert.Throws<FpQuantException>(() => MeshFiles.Load(Ply("f.ply", "t.png",
            "property list uchar float texcoord\n", face, "", "0 0 0\n1 0 0\n0 1 0\n")));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("f.ply", e.Message);
        Assert.True(e.Message.Contains(mention) || e.Message.Contains("finite"), e.Message);
    }

    [Fact]
    public void TextureWithoutTextureCoordinates_IsAWarning_AndRendersWithTheVertexColours()
    {
        GoodTexture("t.png");
        var m = MeshFiles.Load(Ply("w.ply", "t.png", "", "3 0 1 2\n",
            "property uchar red\nproperty uchar green\nproperty uchar blue\n",
            "0 0 0 255 0 0\n1 0 0 255 0 0\n0 1 0 255 0 0\n"));
        Assert.Equal(MeshColorSource.VertexColors, m.ColorSource);
        Assert.Contains(m.Warnings, w => w.Contains("t.png") && w.Contains("no texture coordinates"));
    }
}
