using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FpQuant.Core;

/// <summary>
/// Reads and writes NumPy .npy files: the exchange format for calibration sets, evaluation sets and crop shards.
/// Reads take whole samples along axis 0 and convert to the element type the caller needs; nothing is allocated
/// before the header has been checked against the file's real size. Writes are atomic (temp file, then rename).
/// </summary>
public static class NpyFile
{
    public static NpyHeader ReadHeader(string path)
    {
        using var s = Open(path);
        return NpyHeader.Read(s, path);
    }

    /// <summary>Samples [first, first+count) as float32 (float16/float64/integer files are converted).</summary>
    public static float[] ReadFloat32(string path, long first = 0, long count = -1) =>
        ReadSamples<float>(path, first, count, "float32", ConvertToFloat, out _);

    /// <summary>Samples as int64 (int32, uint8 and bool files are widened; float files are refused).</summary>
    public static long[] ReadInt64(string path, long first = 0, long count = -1) =>
        ReadSamples<long>(path, first, count, "int64", ConvertToInt64, out _);

    /// <summary>Samples as int32 (int64 values outside int32's range are refused with the file named).</summary>
    public static int[] ReadInt32(string path, long first = 0, long count = -1)
    {
        long[] wide = ReadInt64(path, first, count);
        var narrow = new int[wide.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            if (wide[i] is < int.MinValue or > int.MaxValue)
                throw NpyHeader.Bad(path, $"value {wide[i]} at element {i} does not fit int32");
            narrow[i] = (int)wide[i];
        }
        return narrow;
    }

    public static void Write(string path, ReadOnlySpan<float> data, IReadOnlyList<long> shape) =>
        WriteRaw(path, NpyElementType.Float32, MemoryMarshal.AsBytes(data), data.Length, shape);

    public static void Write(string path, ReadOnlySpan<Half> data, IReadOnlyList<long> shape) =>
        WriteRaw(path, NpyElementType.Float16, MemoryMarshal.AsBytes(data), data.Length, shape);

    public static void Write(string path, ReadOnlySpan<double> data, IReadOnlyList<long> shape) =>
        WriteRaw(path, NpyElementType.Float64, MemoryMarshal.AsBytes(data), data.Length, shape);

    public static void Write(string path, ReadOnlySpan<long> data, IReadOnlyList<long> shape) =>
        WriteRaw(path, NpyElementType.Int64, MemoryMarshal.AsBytes(data), data.Length, shape);

    public static void Write(string path, ReadOnlySpan<int> data, IReadOnlyList<long> shape) =>
        WriteRaw(path, NpyElementType.Int32, MemoryMarshal.AsBytes(data), data.Length, shape);

    public static void Write(string path, ReadOnlySpan<byte> data, IReadOnlyList<long> shape) =>
        WriteRaw(path, NpyElementType.UInt8, data, data.Length, shape);

    /// <summary>Writes a header and little-endian data (x64 and Arm64 are little-endian, as NumPy's '&lt;' says).</summary>
    private static void WriteRaw(string path, NpyElementType type, ReadOnlySpan<byte> bytes, long elements, IReadOnlyList<long> shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("writing .npy needs a little-endian machine");
        long n = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape [{string.Join(",", shape)}] has a negative dimension");
            n = checked(n * d);
        }
        if (n != elements)
            throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {n} elements, got {elements}");
        byte[] header = NpyHeader.Format(type, shape);
        // Written from the caller's memory, not a copy: a crop shard is hundreds of MB, and a copy per file held it twice.
        unsafe
        {
            fixed (byte* pinned = bytes)
            {
                byte* data = pinned;
                int length = bytes.Length;
                AtomicFile.Write(path, s => { s.Write(header); s.Write(new ReadOnlySpan<byte>(data, length)); });
            }
        }
    }

    private delegate void Converter<T>(NpyHeader h, ReadOnlySpan<byte> src, Span<T> dst);

    private static T[] ReadSamples<T>(string path, long first, long count, string want, Converter<T> convert, out NpyHeader header)
        where T : struct
    {
        using var s = Open(path);
        header = NpyHeader.Read(s, path);
        if (typeof(T) == typeof(long) && header.ElementType is NpyElementType.Float32 or NpyElementType.Float16 or NpyElementType.Float64)
            throw NpyHeader.Bad(path, $"it holds {header.DescrText} values where integers are needed; save it as int64 or int32");
        long samples = header.SampleCount;
        if (count < 0) count = samples - first;
        if (first < 0 || count < 0 || first + count > samples)
            throw NpyHeader.Bad(path, $"samples {first}..{first + count - 1} were asked for, but axis 0 of shape {header.ShapeText} has {samples}");
        long perSample = header.ElementsPerSample;
        long elements = checked(count * perSample);
        if (elements > Array.MaxLength)
            throw NpyHeader.Bad(path, $"{elements} elements do not fit one {want} array; read fewer samples at a time");
        var result = new T[elements];
        int item = header.ItemSize;
        s.Seek(header.DataOffset + first * perSample * item, SeekOrigin.Begin);
        // Convert in chunks so a large read never holds the raw bytes and the result twice.
        const int chunkElements = 1 << 18;
        var buffer = new byte[(int)Math.Min(elements, chunkElements) * item];
        for (long done = 0; done < elements;)
        {
            int n = (int)Math.Min(chunkElements, elements - done);
            var raw = buffer.AsSpan(0, n * item);
            s.ReadExactly(raw);
            if (header.BigEndian) SwapBytes(raw, item);
            convert(header, raw, result.AsSpan((int)done, n));
            done += n;
        }
        return result;
    }

    private static void ConvertToFloat(NpyHeader h, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (h.ElementType)
        {
            case NpyElementType.Float32: MemoryMarshal.Cast<byte, float>(src).CopyTo(dst); break;
            case NpyElementType.Float16:
                var half = MemoryMarshal.Cast<byte, Half>(src);
                for (int i = 0; i < half.Length; i++) dst[i] = (float)half[i];
                break;
            case NpyElementType.Float64:
                var dbl = MemoryMarshal.Cast<byte, double>(src);
                for (int i = 0; i < dbl.Length; i++) dst[i] = (float)dbl[i];
                break;
            case NpyElementType.Int64:
                var l = MemoryMarshal.Cast<byte, long>(src);
                for (int i = 0; i < l.Length; i++) dst[i] = l[i];
                break;
            case NpyElementType.Int32:
                var n = MemoryMarshal.Cast<byte, int>(src);
                for (int i = 0; i < n.Length; i++) dst[i] = n[i];
                break;
            default:
                for (int i = 0; i < src.Length; i++) dst[i] = src[i];
                break;
        }
    }

    private static void ConvertToInt64(NpyHeader h, ReadOnlySpan<byte> src, Span<long> dst)
    {
        switch (h.ElementType)
        {
            case NpyElementType.Int64: MemoryMarshal.Cast<byte, long>(src).CopyTo(dst); break;
            case NpyElementType.Int32:
                var n = MemoryMarshal.Cast<byte, int>(src);
                for (int i = 0; i < n.Length; i++) dst[i] = n[i];
                break;
            case NpyElementType.UInt8 or NpyElementType.Bool:
                for (int i = 0; i < src.Length; i++) dst[i] = src[i];
                break;
            default:
                throw new InvalidOperationException("float files are refused before conversion");
        }
    }

    private static void SwapBytes(Span<byte> raw, int item)
    {
        switch (item)
        {
            case 2: { var v = MemoryMarshal.Cast<byte, ushort>(raw); for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReverseEndianness(v[i]); break; }
            case 4: { var v = MemoryMarshal.Cast<byte, uint>(raw); for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReverseEndianness(v[i]); break; }
            case 8: { var v = MemoryMarshal.Cast<byte, ulong>(raw); for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReverseEndianness(v[i]); break; }
        }
    }

    private static FileStream Open(string path)
    {
        if (Directory.Exists(path)) throw new FpQuantException($"NumPy file '{path}' is a folder; give a .npy file");
        if (!File.Exists(path)) throw new FpQuantException($"NumPy file '{path}' does not exist");
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"cannot read NumPy file '{path}': {e.Message}", e);
        }
    }
}
