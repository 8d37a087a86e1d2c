using System.Buffers.Binary;
using System.IO.Compression;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Imaging;

[Trait("Category", "Quick")]
public class PngTests
{
    private static PngImage Pattern(int w, int h, int channels, int depth)
    {
        var s = new ushort[w * h * channels];
        int max = depth == 16 ? 65535 : 255;
        for (int i = 0; i < s.Length; i++) s[i] = (ushort)((i * 7919L + i / 3 * 31) % (max + 1));
        return new PngImage(w, h, channels, depth, s);
    }

    [Theory]
    [InlineData(3, 8, 0)] [InlineData(3, 8, 1)] [InlineData(3, 8, 2)] [InlineData(3, 8, 3)] [InlineData(3, 8, 4)]
    [InlineData(1, 16, 4)] [InlineData(4, 8, 3)] [InlineData(2, 16, 2)] [InlineData(1, 8, 1)]
    public void EncodeDecode_RoundTripsEverySample_WithEveryFilter(int channels, int depth, int filter)
    {
        var img = Pattern(13, 7, channels, depth);
        var back = Png.Decode(Png.Encode(img, filter), "test.png");
        Assert.Equal((img.Width, img.Height, img.Channels, img.BitDepth),
            (back.Width, back.Height, back.Channels, back.BitDepth));
        Assert.Equal(img.Samples, back.Samples);
    }

    /// <summary>Builds a PNG by hand (chunks, CRC, zlib) for the formats fpquant reads but does not write.</summary>
    private static byte[] HandMade(int w, int h, int depth, int colorType, byte[][] rows, byte[]? palette = null)
    {
        var ms = new MemoryStream();
        ms.Write(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });
        void Chunk(string type, byte[] data)
        {
            var head = new byte[8];
            BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
            System.Text.Encoding.ASCII.GetBytes(type).CopyTo(head, 4);
            ms.Write(head);
            ms.Write(data);
            var crc = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, Png.Crc32(head.Skip(4).Concat(data).ToArray()));
            ms.Write(crc);
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)w);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)h);
        ihdr[8] = (byte)depth; ihdr[9] = (byte)colorType;
        Chunk("IHDR", ihdr);
        if (palette != null) Chunk("PLTE", palette);
        var raw = rows.SelectMany(r => new byte[] { 0 }.Concat(r)).ToArray();
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Fastest, true)) zs.Write(raw);
        Chunk("IDAT", z.ToArray());
        Chunk("IEND", Array.Empty<byte>());
        return ms.ToArray();
    }

    [Fact]
    public void OneBitGray_AndPalette_AreExpanded()
    {
        // 1-bit: 0b10110000 -> 1,0,1,1,0 over 5 pixels, scaled to 0/255.
        var bits = Png.Decode(HandMade(5, 1, 1, 0, new[] { new byte[] { 0b1011_0000 } }), "bits.png");
        Assert.Equal(new ushort[] { 255, 0, 255, 255, 0 }, bits.Samples);
        // 2-bit palette indices 2,0,1 -> RGB triples.
        var pal = Png.Decode(HandMade(3, 1, 2, 3, new[] { new byte[] { 0b10_00_01_00 } },
            new byte[] { 10, 20, 30, 40, 50, 60, 70, 80, 90 }), "pal.png");
        Assert.Equal(3, pal.Channels);
        Assert.Equal(new ushort[] { 70, 80, 90, 10, 20, 30, 40, 50, 60 }, pal.Samples);
    }

    [Fact]
    public void Corrupt_Truncated_AndNonPng_AreClearErrorsNamingTheFile()
    {
        var good = Png.Encode(Pattern(8, 8, 3, 8));
        var corrupt = (byte[])good.Clone();
        corrupt[40] ^= 0xFF; // inside IDAT
        Assert.Contains("CRC", Assert.Throws<FpQuantException>(() => Png.Decode(corrupt, "c.png")).Message);
        var e = Assert.Throws<FpQuantException>(() => Png.Decode(good[..30], "t.png"));
        Assert.Contains("t.png", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("not a PNG",
            Assert.Throws<FpQuantException>(() => Png.Decode(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "x.jpg"))
                .Message);
    }

    [Fact]
    public void Writing_IsDeterministic()
    {
        var img = Pattern(32, 16, 3, 8);
        Assert.Equal(Png.Encode(img), Png.Encode(img));
    }
}

[Trait("Category", "Quick")]
public class FrameLoaderTests
{
    private static void WriteRgb(string path, int w, int h) =>
        Png.Write(path,
            new PngImage(w, h, 3, 8, Enumerable.Range(0, w * h * 3).Select(i => (ushort)(i % 256)).ToArray()));

    [Fact]
    public void Depth16BitMillimetres_AndRawFloatMetres_AreRead()
    {
        using var tmp = new TempDir();
        WriteRgb(tmp.File("rgb.png"), 4, 2);
        Png.Write(tmp.File("depth.png"), new PngImage(4, 2, 1, 16, new ushort[] { 0, 1, 500, 1000, 65535, 2, 3, 4 }));
        Png.Write(tmp.File("mask.png"), new PngImage(4, 2, 1, 8, new ushort[] { 0, 255, 255, 0, 0, 0, 1, 0 }));
        var f = FrameLoader.Load(tmp.File("rgb.png"), tmp.File("depth.png"), tmp.File("mask.png"),
            new CameraIntrinsics(1, 1, 0, 0));
        Assert.Equal(new[] { 0f, 0.001f, 0.5f, 1f, 65.535f, 0.002f, 0.003f, 0.004f }, f.Depth);
        Assert.Equal(new[] { false, true, true, false, false, false, true, false }, f.Mask);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4, 5 }, f.Rgb[..6]);
        var raw = new float[] { 0.5f, float.NaN, -1f, 1.25f, 0, 0, 0, 2 };
        RawTensorFile.Write(tmp.File("depth.bin"), raw);
        var g = FrameLoader.Load(tmp.File("rgb.png"), tmp.File("depth.bin"), tmp.File("mask.png"),
            new CameraIntrinsics(1, 1, 0, 0));
        Assert.Equal(new[] { 0.5f, 0f, 0f, 1.25f, 0, 0, 0, 2 }, g.Depth); // NaN and negative = no reading
    }

    [Fact]
    public void MismatchedSizes_EightBitDepth_AndWrongRawSize_AreClearErrors()
    {
        using var tmp = new TempDir();
        WriteRgb(tmp.File("rgb.png"), 4, 2);
        Png.Write(tmp.File("mask.png"), new PngImage(4, 2, 1, 8, new ushort[8]));
        Png.Write(tmp.File("small-mask.png"), new PngImage(3, 2, 1, 8, new ushort[6]));
        Png.Write(tmp.File("depth.png"), new PngImage(4, 2, 1, 16, new ushort[8]));
        Png.Write(tmp.File("depth8.png"), new PngImage(4, 2, 1, 8, new ushort[8]));
        File.WriteAllBytes(tmp.File("depth.bin"), new byte[12]);
        var k = new CameraIntrinsics(1, 1, 0, 0);
        var e1 = Assert.Throws<FpQuantException>(() =>
            FrameLoader.Load(tmp.File("rgb.png"), tmp.File("depth.png"), tmp.File("small-mask.png"), k));
        Assert.Contains("small-mask.png", e1.Message);
        Assert.Contains("3x2", e1.Message);
        Assert.Contains("4x2", e1.Message);
        Assert.Contains("16-bit",
            Assert.Throws<FpQuantException>(() =>
                FrameLoader.Load(tmp.File("rgb.png"), tmp.File("depth8.png"), tmp.File("mask.png"), k)).Message);
        var e3 = Assert.Throws<FpQuantException>(() =>
            FrameLoader.Load(tmp.File("rgb.png"), tmp.File("depth.bin"), tmp.File("mask.png"), k));
        Assert.Contains("12 bytes", e3.Message);
        Assert.Contains("32 bytes", e3.Message);
    }

    [Fact]
    public void Intrinsics_FromNumbers_AndFromAMatrixFile()
    {
        Assert.Equal(new CameraIntrinsics(600, 601, 320.5, 240), CameraIntrinsics.Parse("600,601,320.5,240"));
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("cam_K.txt"), "6.0e+02 0 3.2e+02\n0 6.1e+02 2.4e+02\n0 0 1\n");
        Assert.Equal(new CameraIntrinsics(600, 610, 320, 240), CameraIntrinsics.Parse(tmp.File("cam_K.txt")));
        Assert.Contains("found 3", Assert.Throws<FpQuantException>(() => CameraIntrinsics.Parse("1,2,3")).Message);
        Assert.Contains("positive", Assert.Throws<FpQuantException>(() => CameraIntrinsics.Parse("0,1,2,3")).Message);
    }
}
