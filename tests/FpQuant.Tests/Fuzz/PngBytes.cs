using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Tests.Fuzz;

/// <summary>PNG files built chunk by chunk (palette and low bit depths, which Png.Encode does not write), and CRCs
/// recomputed after a mutation so the decoder gets past its CRC check to the fields behind it.</summary>
public static class PngBytes
{
    public static byte[] Build(int width, int height, int depth, int colorType, byte[]? palette, byte[] scanlines)
    {
        var ms = new MemoryStream();
        ms.Write(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = (byte)depth; ihdr[9] = (byte)colorType;
        Chunk(ms, "IHDR", ihdr);
        if (palette != null) Chunk(ms, "PLTE", palette);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(scanlines);
        Chunk(ms, "IDAT", z.ToArray());
        Chunk(ms, "IEND", Array.Empty<byte>());
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, 0, 4, head, 4);
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Png.Crc32(head.AsSpan(4).ToArray().Concat(data).ToArray()));
        s.Write(crc);
    }

    /// <summary>Offsets of every chunk's length field, and of IHDR's width and height.</summary>
    public static int[] Fields(byte[] png)
    {
        var f = new List<int> { 16, 20 };
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            f.Add(pos);
            uint len = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (len > png.Length) break;
            pos += 12 + (int)len;
        }
        return f.ToArray();
    }

    /// <summary>Rewrites the CRC of every chunk whose length still fits the file.</summary>
    public static byte[] FixCrcs(byte[] png)
    {
        var b = (byte[])png.Clone();
        for (int pos = 8; pos + 12 <= b.Length;)
        {
            uint len = BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(pos));
            if (len > int.MaxValue || pos + 12L + len > b.Length) break;
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(pos + 8 + (int)len),
                Png.Crc32(b.AsSpan(pos + 4, 4 + (int)len)));
            pos += 12 + (int)len;
        }
        return b;
    }
}
