using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;
using FpQuant.Tests.Fuzz;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Hostile;

/// <summary>Known crash signatures of PNG, OBJ texture, PLY and frame files: refused with one line, before
/// allocating.</summary>
[Trait("Category", "Quick")]
public sealed class HostileImageAndMeshTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    private static T Bounded<T>(Func<T> f, long maxAllocated = 8L << 20)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try { return f(); }
        finally
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < maxAllocated, $"{allocated / 1e6:F0} MB allocated");
        }
    }

    /// <summary>
    /// A small valid PNG whose IHDR then claims another size (CRCs fixed, so only the size is wrong).
    /// </summary>
    private static byte[] PngClaiming(uint width, uint height, byte depth, byte colorType)
    {
        var png = Png.Encode(new PngImage(4, 4, 1, 16, new ushort[16]));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), height);
        png[24] = depth; png[25] = colorType;
        return PngBytes.FixCrcs(png);
    }

    [Theory]
    [InlineData(134217728u, 2u, (byte)16, (byte)6)]  // width * bitsPerPixel overflowed int
    [InlineData(268435456u, 1u, (byte)8, (byte)0)]   // stride wrapped to 0 after allocating 2 GB
    [InlineData(16384u, 16384u, (byte)16, (byte)0)]  // allocated 1 GB before reading a byte
    [InlineData(4294967295u, 4294967295u, (byte)8, (byte)2)]
    [InlineData(2147483647u, 1u, (byte)1, (byte)0)]
    [InlineData(0u, 4u, (byte)8, (byte)0)]
    [InlineData(8192u, 8192u, (byte)8, (byte)0)]     // within the pixel limit, far beyond its image data
    public void PngHeadersClaimingHugeSizes_AreRefusedBeforeAllocating(uint w, uint h, byte depth, byte colorType)
    {
        var e = Assert.Throws<FpQuantException>(() =>
            Bounded(() => Png.Decode(PngClaiming(w, h, depth, colorType), "huge.png")));
        Assert.Contains("huge.png", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void PngPixelLimit_IsConfigurable()
    {
        var png = Png.Encode(new PngImage(64, 64, 1, 8, new ushort[64 * 64]));
        Assert.Equal(64, Png.Decode(png, "ok.png").Width);
        var e =
            Assert.Throws<FpQuantException>(() => Png.Decode(png, "limited.png", new PngLimits { MaxPixels = 1000 }));
        Assert.Contains("at most 1000 pixels", e.Message);
    }

    [Fact]
    public void PngChunkTypeWithANewline_GivesOneLine()
    {
        var png = Png.Encode(new PngImage(4, 4, 1, 8, new ushort[16]));
        png[8 + 4 + 2] = (byte)'\n'; // IHDR's type, CRC now wrong
        var e = Assert.Throws<FpQuantException>(() => Png.Decode(png, "nl.png"));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("CRC", e.Message);
    }

    [Fact]
    public void ObjTextureClaimingAHugeSize_IsAWarning_WithoutAllocatingForIt()
    {
        string dir = _tmp.File("obj");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "m.obj"), FuzzSeeds.CubeObj(0.05, "m.mtl"));
        File.WriteAllText(Path.Combine(dir, "m.mtl"), "newmtl cube\nKd 0.5 0.5 0.5\nmap_Kd t.png\n");
        File.WriteAllBytes(Path.Combine(dir, "t.png"), PngClaiming(16384, 16384, 16, 6));
        var mesh = Bounded(() => MeshFiles.Load(Path.Combine(dir, "m.obj")));
        Assert.Contains(mesh.Warnings, w => w.Contains("t.png") && w.Contains("16384x16384"));
        Assert.Equal(MeshColorSource.Uniform, mesh.ColorSource);
    }

    private string Ply(string name, string header, byte[]? body = null)
    {
        string p = _tmp.File(name);
        File.WriteAllBytes(p, Encoding.ASCII.GetBytes(header).Concat(body ?? Array.Empty<byte>()).ToArray());
        return p;
    }

    [Theory]
    [InlineData("binary_little_endian", "2147483647")]
    [InlineData("ascii", "2147483647")]
    [InlineData("binary_big_endian", "715827883")] // 3 * count overflows int
    public void PlyVertexCountBeyondTheData_IsRefusedBeforeAllocating(string format, string count)
    {
        string p = Ply("v.ply",
            $"ply\nformat {format} 1.0\nelement vertex {count}\nproperty float x\nproperty float y\nproperty float " +
            $"z\nend_header\n", new byte[64]);
        var e = Assert.Throws<FpQuantException>(() => Bounded(() => MeshFiles.Load(p)));
        Assert.Contains("v.ply", e.Message);
        Assert.Contains("claims", e.Message);
    }

    [Theory]
    [InlineData((byte)255)]
    [InlineData((byte)200)]
    public void PlyListCountBeyondTheData_IsRefused(byte listCount)
    {
        var body = new List<byte>();
        for (int i = 0; i < 3 * 3; i++) body.AddRange(BitConverter.GetBytes((float)i));
        body.Add(listCount);
        for (int i = 0; i < 3; i++) body.AddRange(BitConverter.GetBytes(i));
        string p = Ply("l.ply",
            "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty " +
            "float z\n" +
            "element face 1\nproperty list uchar int vertex_indices\nend_header\n", body.ToArray());
        Assert.Contains("list", Assert.Throws<FpQuantException>(() => MeshFiles.Load(p)).Message);
        // An int list count of 2^31-1 and of -1.
        foreach (int k in new[] { int.MaxValue, -1 })
        {
            var b2 = body.Take(36).Concat(BitConverter.GetBytes(k)).Concat(body.Skip(37)).ToArray();
            string p2 = Ply("l2.ply",
                "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float " +
                "y\nproperty float z\n" +
                "element face 1\nproperty list int int vertex_indices\nend_header\n", b2);
            Assert.Contains("list", Assert.Throws<FpQuantException>(() => Bounded(() => MeshFiles.Load(p2))).Message);
        }
    }

    [Fact]
    public void PlyElementWithoutProperties_IsRefusedAtOnce()
    {
        string p = Ply("e.ply",
            "ply\nformat binary_little_endian 1.0\nelement junk 2147483647\nelement vertex 3\nproperty float " +
            "x\nproperty float y\nproperty float z\nend_header\n", new byte[36]);
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<FpQuantException>(() => MeshFiles.Load(p));
        Assert.Contains("no properties", e.Message);
        Assert.True(sw.Elapsed.TotalSeconds < 5, $"{sw.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void PlyNonFiniteVertex_IsRefused()
    {
        var body = new List<byte>();
        foreach (var v in new[] { 0f, 0, 0, 1, 0, 0, 0, float.PositiveInfinity, 0 })
            body.AddRange(BitConverter.GetBytes(v));
        body.Add(3); foreach (var i in new[] { 0, 1, 2 }) body.AddRange(BitConverter.GetBytes(i));
        string p = Ply("inf.ply",
            "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty " +
            "float z\n" +
            "element face 1\nproperty list uchar int vertex_indices\nend_header\n", body.ToArray());
        Assert.Contains("finite", Assert.Throws<FpQuantException>(() => MeshFiles.Load(p)).Message);
    }

    [Fact]
    public void SceneFolderWithHostileFiles_IsRefusedWithOneLine()
    {
        var files = FuzzSeeds.SceneFolder();
        string dir = _tmp.File("scene");
        Directory.CreateDirectory(dir);
        foreach (var (n, b) in files) File.WriteAllBytes(Path.Combine(dir, n), b);
        Assert.NotNull(Scene.LoadFolder(dir));
        void Hostile(string file, byte[] bytes, string expect)
        {
            File.WriteAllBytes(Path.Combine(dir, file), bytes);
            var e = Assert.Throws<FpQuantException>(() => Bounded(() => Scene.LoadFolder(dir)));
            Assert.Contains(file, e.Message);
            Assert.Contains(expect, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            File.WriteAllBytes(Path.Combine(dir, file), files[file]);
        }
        Hostile("depth.png", PngClaiming(16384, 16384, 16, 0), "16384x16384");
        Hostile("mask.png", PngClaiming(268435456, 1, 8, 0), "268435456x1");
        Hostile("cam_K.txt", Encoding.ASCII.GetBytes("1e999 0 6\n0 20 5\n0 0 1\n"), "not a number");
        Hostile("cam_K.txt", Encoding.ASCII.GetBytes(new string('9', 100_000)), "bytes");
        Hostile("mesh.obj", Encoding.ASCII.GetBytes("v 0 0 0\nv 1e38 1e38 1e38\nv -1e38 -1e38 -1e38\nf 1 2 3\n"),
            "spans");
        // Raw float32 depth of the wrong length, and a frame size whose depth length overflows.
        File.WriteAllBytes(_tmp.File("d.bin"), new byte[12]);
        var e = Assert.Throws<FpQuantException>(() => FrameLoader.LoadDepth(_tmp.File("d.bin"), 12, 10));
        Assert.Contains("d.bin", e.Message);
        Assert.Throws<FpQuantException>(() => RawTensorFile.Read(_tmp.File("d.bin"), long.MaxValue / 2, "depth"));
    }
}
