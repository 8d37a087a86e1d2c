using System.Buffers.Binary;
using System.IO.Compression;
using FpQuant.Core;

namespace FpQuant.Images;

/// <summary>
/// PNG reading and writing with no image library: every colour type, bit depths 1-16, the five scanline filters,
/// CRC-checked chunks. Depth maps need exact 16-bit samples, which general image libraries tend to round to 8 bits.
/// </summary>
internal static class Png
{
    private static readonly byte[] Signature = { 137, 80, 78, 71, 13, 10, 26, 10 };

    public static PngImage Read(string path, PngLimits? limits = null)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"cannot read image '{path}': {e.Message}", e);
        }
        return Decode(bytes, path, limits);
    }

    /// <summary>Decodes a PNG, checking every size it claims against <paramref name="limits"/> and its own image
    /// data before allocating for it.</summary>
    public static PngImage Decode(byte[] bytes, string what, PngLimits? limits = null)
    {
        limits ??= PngLimits.Default;
        if (bytes.Length < 8 || !bytes.AsSpan(0, 8).SequenceEqual(Signature))
            throw new FpQuantException($"'{what}' is not a PNG file (no PNG signature); convert it to PNG");
        int pos = 8, width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
        byte[]? palette = null;
        var idat = new MemoryStream();
        bool end = false;
        while (!end)
        {
            if (pos + 12 > bytes.Length)
                throw new FpQuantException($"PNG '{what}' is truncated (chunk header at byte {pos} runs past the end)");
            uint len = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pos));
            string type = ChunkType(bytes.AsSpan(pos + 4, 4));
            if (len > int.MaxValue || pos + 12 + (long)len > bytes.Length)
                throw new FpQuantException(
                    $"PNG '{what}' is truncated (chunk {type} of {len} bytes runs past the end)");
            var data = bytes.AsSpan(pos + 8, (int)len);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pos + 8 + (int)len));
            if (Crc32(bytes.AsSpan(pos + 4, 4 + (int)len)) != crc)
                throw new FpQuantException($"PNG '{what}' is corrupt (CRC mismatch in chunk {type})");
            switch (type)
            {
                case "IHDR":
                    if (len != 13) throw new FpQuantException($"PNG '{what}' has a malformed IHDR chunk");
                    if (colorType >= 0) throw new FpQuantException($"PNG '{what}' has two IHDR chunks");
                    uint w = BinaryPrimitives.ReadUInt32BigEndian(data),
                        h = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                    if (w == 0 || h == 0 || (ulong)w * h > (ulong)limits.MaxPixels)
                        throw new FpQuantException($"PNG '{what}' claims {w}x{h} pixels; fpquant reads images of at " +
                            $"most {limits.MaxPixels} pixels");
                    width = (int)w;
                    height = (int)h;
                    depth = data[8]; colorType = data[9]; interlace = data[12];
                    break;
                case "PLTE": palette = data.ToArray(); break;
                case "IDAT": idat.Write(data); break;
                case "IEND": end = true; break;
            }
            pos += 12 + (int)len;
        }
        if (colorType < 0) throw new FpQuantException($"PNG '{what}' has no IHDR chunk");

        if (interlace != 0)
            throw new FpQuantException($"PNG '{what}' is interlaced (Adam7), which fpquant does not read; save it " +
                $"without interlacing");
        int fileChannels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4,
            _ => throw new FpQuantException($"PNG '{what}' has an invalid colour type {colorType}") };
        bool depthOk = colorType switch { 0 => depth is 1 or 2 or 4 or 8 or 16, 3 => depth is 1 or 2 or 4 or 8,
            _ => depth is 8 or 16 };
        if (!depthOk)
            throw new FpQuantException($"PNG '{what}' has an invalid bit depth {depth} for colour type {colorType}");
        if (colorType == 3 && palette == null)
            throw new FpQuantException($"PNG '{what}' is palette-based but has no PLTE chunk");

        int bitsPerPixel = fileChannels * depth;
        long strideLong = ((long)width * bitsPerPixel + 7) / 8;
        long rawLength = (strideLong + 1) * height;
        if (rawLength > idat.Length * PngLimits.MaxInflateRatio + 1024 || rawLength > Array.MaxLength)
            throw new FpQuantException($"PNG '{what}' claims {width}x{height} pixels ({rawLength} bytes of " +
                $"scanlines) but holds only {idat.Length} bytes of image data; the file is damaged");
        int stride = (int)strideLong;
        int bpp = Math.Max(1, bitsPerPixel / 8);
        var raw = new byte[rawLength];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            int read = 0;
            while (read < raw.Length)
            {
                int n = z.Read(raw, read, raw.Length - read);
                if (n == 0) break;
                read += n;
            }
            if (read < raw.Length)
                throw new FpQuantException(
                    $"PNG '{what}' is truncated (image data holds {read} of {raw.Length} bytes)");
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new FpQuantException($"PNG '{what}' is corrupt (image data does not decompress: {e.Message})", e);
        }

        var prev = new byte[stride];
        var cur = new byte[stride];
        int outChannels = colorType == 3 ? 3 : fileChannels;
        var samples = new ushort[(long)width * height * outChannels];
        for (int y = 0; y < height; y++)
        {
            long rowStart = (long)y * (stride + 1);
            int filter = raw[rowStart];
            Array.Copy(raw, rowStart + 1, cur, 0, stride);
            Unfilter(filter, cur, prev, bpp, what, y);
            long o = (long)y * width * outChannels;
            for (int x = 0; x < width; x++)
                for (int c = 0; c < fileChannels; c++)
                {
                    int v = SampleAt(cur, x * fileChannels + c, depth);
                    if (colorType == 3)
                    {
                        if (3 * v + 2 >= palette!.Length)
                            throw new FpQuantException($"PNG '{what}' uses palette entry {v}, beyond its " +
                                $"{palette.Length / 3} entries");
                        for (int k = 0; k < 3; k++) samples[o + x * 3 + k] = palette[3 * v + k];
                    }
                    else
                        samples[o + x * fileChannels + c] = (ushort)(depth < 8 ? v * 255 / ((1 << depth) - 1) : v);
                }
            (prev, cur) = (cur, prev);
        }
        return new PngImage(width, height, outChannels, depth == 16 ? 16 : 8, samples);
    }

    /// <summary>A chunk type as text for messages: printable ASCII kept, anything else shown as '?'.</summary>
    private static string ChunkType(ReadOnlySpan<byte> b)
    {
        Span<char> c = stackalloc char[4];
        for (int i = 0; i < 4; i++) c[i] = b[i] is >= 0x21 and < 0x7f ? (char)b[i] : '?';
        return new string(c);
    }

    private static int SampleAt(byte[] row, int index, int depth) => depth switch
    {
        16 => (row[2 * index] << 8) | row[2 * index + 1],
        8 => row[index],
        _ => (row[index * depth / 8] >> (8 - depth - (index * depth) % 8)) & ((1 << depth) - 1),
    };

    private static void Unfilter(int filter, byte[] cur, byte[] prev, int bpp, string what, int y)
    {
        switch (filter)
        {
            case 0: break;
            case 1: for (int i = bpp; i < cur.Length; i++) cur[i] += cur[i - bpp]; break;
            case 2: for (int i = 0; i < cur.Length; i++) cur[i] += prev[i]; break;
            case 3:
                for (int i = 0; i < cur.Length; i++)
                    cur[i] += (byte)(((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < cur.Length; i++)
                    cur[i] += Paeth(i >= bpp ? cur[i - bpp] : (byte)0, prev[i], i >= bpp ? prev[i - bpp] : (byte)0);
                break;
            default: throw new FpQuantException($"PNG '{what}' is corrupt (unknown filter {filter} on row {y})");
        }
    }

    private static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Encodes 8-bit (gray, gray+alpha, RGB, RGBA) or 16-bit samples; <paramref name="filter"/> 0-4 is used
    /// for every row (tests use it to exercise the decoder's filters).</summary>
    public static byte[] Encode(PngImage img, int filter = 1)
    {
        if (img.BitDepth is not (8 or 16)) throw new ArgumentException("only 8- and 16-bit images are written");
        if (filter is < 0 or > 4) throw new ArgumentOutOfRangeException(nameof(filter));
        int colorType =
            img.Channels switch { 1 => 0, 2 => 4, 3 => 2, 4 => 6, _ => throw new ArgumentException("1-4 channels") };
        int bytesPerSample = img.BitDepth / 8, bpp = img.Channels * bytesPerSample, stride = img.Width * bpp;
        var raw = new byte[(long)(stride + 1) * img.Height];
        var prev = new byte[stride];
        var cur = new byte[stride];
        for (int y = 0; y < img.Height; y++)
        {
            long s = (long)y * img.Width * img.Channels;
            for (int i = 0; i < img.Width * img.Channels; i++)
            {
                ushort v = img.Samples[s + i];
                if (bytesPerSample == 2) { cur[2 * i] = (byte)(v >> 8); cur[2 * i + 1] = (byte)v; }
                else cur[i] = (byte)v;
            }
            long o = (long)y * (stride + 1);
            raw[o] = (byte)filter;
            for (int i = 0; i < stride; i++)
            {
                byte a = i >= bpp ? cur[i - bpp] : (byte)0, b = prev[i], c = i >= bpp ? prev[i - bpp] : (byte)0;
                byte pred = filter switch { 0 => 0, 1 => a, 2 => b, 3 => (byte)((a + b) >> 1), _ => Paeth(a, b, c) };
                raw[o + 1 + i] = (byte)(cur[i] - pred);
            }
            (prev, cur) = (cur, prev);
        }
        var ms = new MemoryStream();
        ms.Write(Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)img.Width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)img.Height);
        ihdr[8] = (byte)img.BitDepth; ihdr[9] = (byte)colorType;
        WriteChunk(ms, "IHDR", ihdr);
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(raw);
        WriteChunk(ms, "IDAT", z.ToArray());
        WriteChunk(ms, "IEND", Array.Empty<byte>());
        return ms.ToArray();
    }

    public static void Write(string path, PngImage img) => AtomicFile.Write(path, s => s.Write(Encode(img)));

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head[4..]);
        s.Write(head);
        s.Write(data);
        var crcInput = new byte[4 + data.Length];
        head[4..].CopyTo(crcInput);
        data.CopyTo(crcInput, 4);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(crcInput));
        s.Write(crc);
    }

    private static readonly uint[] CrcTable = BuildCrcTable();

    private static uint[] BuildCrcTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
