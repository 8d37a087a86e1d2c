using System.Text;
using FpQuant.Core;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Core;

[Trait("Category", "Quick")]
public class NpyFileTests
{
    /// <summary>
    /// A .npy file as NumPy 1.x writes it: magic, version 1.0, little-endian header length, the dict, spaces, newline.
    /// </summary>
    private static byte[] HandMade(string dict, byte[] data, int align = 64, byte major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + align - 1) / align * align;
        string header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0]);
        ms.WriteByte((byte)header.Length);
        ms.WriteByte((byte)(header.Length >> 8));
        if (major != 1) { ms.WriteByte(0); ms.WriteByte(0); }
        ms.Write(Encoding.Latin1.GetBytes(header));
        ms.Write(data);
        return ms.ToArray();
    }

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void ReadsAHandMadeNumPyFileAndItsSamples()
    {
        using var dir = new TempDir();
        string p = dir.File("x.npy");
        File.WriteAllBytes(p,
            HandMade("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", Floats(1, 2, 3, 4, 5, 6),
                align: 16));
        var h = NpyFile.ReadHeader(p);
        Assert.Equal(NpyElementType.Float32, h.ElementType);
        Assert.Equal(new long[] { 3, 2 }, h.Shape);
        Assert.Equal(3, h.SampleCount);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, NpyFile.ReadFloat32(p));
        Assert.Equal(new float[] { 3, 4, 5, 6 }, NpyFile.ReadFloat32(p, first: 1, count: 2));
    }

    [Fact]
    public void ReadsVersion2BigEndianAndOneDimensionalShapes()
    {
        using var dir = new TempDir();
        string p = dir.File("be.npy");
        // 7, -2 big-endian int64
        byte[] data = [0, 0, 0, 0, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE];
        File.WriteAllBytes(p, HandMade("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", data, major: 2));
        Assert.Equal(new long[] { 7, -2 }, NpyFile.ReadInt64(p));
        Assert.Equal(new[] { 7, -2 }, NpyFile.ReadInt32(p));
        Assert.Equal(new float[] { 7, -2 }, NpyFile.ReadFloat32(p));
    }

    [Fact]
    public void ReadsBigEndianFloat32()
    {
        using var dir = new TempDir();
        string p = dir.File("bef4.npy");
        // IEEE 754 single precision, most significant byte first: 1.5 = 3FC00000, -2.25 = C0100000, 0.1 = 3DCCCCCD.
        byte[] data = [0x3F, 0xC0, 0x00, 0x00, 0xC0, 0x10, 0x00, 0x00, 0x3D, 0xCC, 0xCC, 0xCD];
        File.WriteAllBytes(p, HandMade("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", data));
        var h = NpyFile.ReadHeader(p);
        Assert.True(h.BigEndian);
        Assert.Equal(NpyElementType.Float32, h.ElementType);
        Assert.Equal(new[] { 1.5f, -2.25f, 0.1f }, NpyFile.ReadFloat32(p));
    }

    [Fact]
    public void WriterRoundTripsEveryTypeAndAlignsDataTo64Bytes()
    {
        using var dir = new TempDir();
        var f = new float[] { 0.5f, -1.25f, 3e-8f, 65504f, 1, 2 };
        NpyFile.Write(dir.File("f.npy"), f, [2, 3]);
        Assert.Equal(f, NpyFile.ReadFloat32(dir.File("f.npy")));
        Assert.Equal(0, NpyFile.ReadHeader(dir.File("f.npy")).DataOffset % 64);

        var h = f.Select(x => (Half)x).ToArray();
        NpyFile.Write(dir.File("h.npy"), h, [6]);
        Assert.Equal(h.Select(x => (float)x), NpyFile.ReadFloat32(dir.File("h.npy")));
        Assert.Equal(NpyElementType.Float16, NpyFile.ReadHeader(dir.File("h.npy")).ElementType);

        NpyFile.Write(dir.File("l.npy"), new long[] { long.MaxValue, -1 }, [2, 1]);
        Assert.Equal(new long[] { long.MaxValue, -1 }, NpyFile.ReadInt64(dir.File("l.npy")));
        NpyFile.Write(dir.File("i.npy"), new[] { 3, 4 }, [1, 2]);
        Assert.Equal(new long[] { 3, 4 }, NpyFile.ReadInt64(dir.File("i.npy")));

        // A header NumPy itself would accept: exactly the three keys, the data 64-aligned, ends with a newline.
        var bytes = File.ReadAllBytes(dir.File("i.npy"));
        string header = Encoding.Latin1.GetString(bytes, 10, bytes[8] | (bytes[9] << 8));
        Assert.StartsWith("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }", header);
        Assert.EndsWith("\n", header);
    }

    [Fact]
    public void SameDataGivesByteIdenticalFiles()
    {
        using var dir = new TempDir();
        NpyFile.Write(dir.File("a.npy"), new float[] { 1, 2, 3 }, [3]);
        NpyFile.Write(dir.File("b.npy"), new float[] { 1, 2, 3 }, [3]);
        Assert.Equal(File.ReadAllBytes(dir.File("a.npy")), File.ReadAllBytes(dir.File("b.npy")));
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "Fortran order")]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 8, "not supported")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8, "needs 12 data bytes")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 2), }", 8, "too large")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 8, "non-negative")]
    [InlineData("{'descr': '<f4', 'shape': (2,), }", 8, "no 'fortran_order'")]
    public void BadHeadersNameTheFileAndTheProblem(string dict, int dataBytes, string expected)
    {
        using var dir = new TempDir();
        string p = dir.File("bad.npy");
        File.WriteAllBytes(p, HandMade(dict, new byte[dataBytes]));
        var e = Assert.Throws<FpQuantException>(() => NpyFile.ReadFloat32(p));
        Assert.Contains(p, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void RefusesWhatIsNotANumPyFileAndHeadersLongerThanTheFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("t.npy"), "hello, not numpy");
        Assert.Contains("magic", Assert.Throws<FpQuantException>(() => NpyFile.ReadHeader(dir.File("t.npy"))).Message);
        byte[] lying = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0x7F];
        File.WriteAllBytes(dir.File("l.npy"), lying);
        Assert.Contains("header claims",
            Assert.Throws<FpQuantException>(() => NpyFile.ReadHeader(dir.File("l.npy"))).Message);
        Assert.Contains("does not exist",
            Assert.Throws<FpQuantException>(() => NpyFile.ReadHeader(dir.File("none.npy"))).Message);
    }

    [Fact]
    public void IntegerReadsRefuseFloatFilesAndOutOfRangeValues()
    {
        using var dir = new TempDir();
        NpyFile.Write(dir.File("f.npy"), new float[] { 1 }, [1]);
        Assert.Contains("integers are needed",
            Assert.Throws<FpQuantException>(() => NpyFile.ReadInt64(dir.File("f.npy"))).Message);
        NpyFile.Write(dir.File("big.npy"), new long[] { 1L << 40 }, [1]);
        Assert.Contains("does not fit int32",
            Assert.Throws<FpQuantException>(() => NpyFile.ReadInt32(dir.File("big.npy"))).Message);
        Assert.Contains("axis 0",
            Assert.Throws<FpQuantException>(() => NpyFile.ReadFloat32(dir.File("f.npy"), 1, 1)).Message);
    }
}
