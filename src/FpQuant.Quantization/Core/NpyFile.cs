using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FpQuant.Core;

/// <summary>
/// Reads and writes NumPy .npy files: the exchange format for calibration sets, evaluation sets and crop shards.
/// Reads take whole samples along axis 0 and convert to the element type the caller needs; nothing is allocated
/// before the header has been checked against the file's real size. Writes are atomic (temp file, then rename).
/// </summary>
internal static class NpyFile
{
    public static NpyHeader ReadHeader(string path)
    {
        using var s = Open(path);
        return NpyHeader.Read(s, path);
    }

    /// <summary>Samples [first, first+count) as float32 (float16/float64/integer files are converted).</summary>
    public static float[] ReadFloat32(string path, long first = 0, long count = -1) =>
        ReadSamples<float>(path, first, count, "float32", Numbers<float>(path, "float32"), out _);

    /// <summary>Samples as int64 (other integer and bool files are widened; float files are refused).</summary>
    public static long[] ReadInt64(string path, long first = 0, long count = -1) =>
        ReadSamples<long>(path, first, count, "int64", Numbers<long>(path, "int64"), out _);

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

    /// <summary>
    /// Samples [first, first+count) as a tensor of <paramref name="target"/>: float files feed float types (float16,
    /// bfloat16, float32, float64; rounded to the target), integer and bool files feed integer and bool types (a value
    /// the target cannot hold is refused; bool is "not zero"). <paramref name="what"/> names the use in errors.
    /// </summary>
    public static InputTensor ReadTensor(string path, InputElementType target, string what, long first = 0,
        long count = -1)
    {
        var h = ReadHeader(path);
        if (h.IsFloat != target.IsFloat())
            throw NpyHeader.Bad(path,
                $"it holds {h.DescrText} values but {what} is {target.Name()}: write " +
                $"{(target.IsFloat() ? "floating-point" : "integer or bool")} values");
        if (count < 0) count = h.SampleCount - first;
        int[] shape = h.TensorShape(path, count);
        if (h.Shape.Length == 0 && (first != 0 || count != 1))
            throw NpyHeader.Bad(path, $"it holds a scalar, not samples {first}..{first + count - 1}");
        string want = target.Name();
        Array data = target switch
        {
            InputElementType.Float => ReadSamples<float>(path, first, count, want, Numbers<float>(path, want), out _),
            InputElementType.Double =>
                ReadSamples<double>(path, first, count, want, Numbers<double>(path, want), out _),
            InputElementType.Float16 => ReadSamples<Half>(path, first, count, want, Numbers<Half>(path, want), out _),
            InputElementType.BFloat16 => Array.ConvertAll(ReadSamples<float>(path, first, count, want,
                Numbers<float>(path, want), out _), InputElementTypes.ToBFloat16),
            InputElementType.Int64 => ReadSamples<long>(path, first, count, want, Numbers<long>(path, want), out _),
            InputElementType.Int32 => ReadSamples<int>(path, first, count, want, Numbers<int>(path, want), out _),
            InputElementType.Int16 => ReadSamples<short>(path, first, count, want, Numbers<short>(path, want), out _),
            InputElementType.Int8 => ReadSamples<sbyte>(path, first, count, want, Numbers<sbyte>(path, want), out _),
            InputElementType.UInt64 => ReadSamples<ulong>(path, first, count, want, Numbers<ulong>(path, want), out _),
            InputElementType.UInt32 => ReadSamples<uint>(path, first, count, want, Numbers<uint>(path, want), out _),
            InputElementType.UInt16 =>
                ReadSamples<ushort>(path, first, count, want, Numbers<ushort>(path, want), out _),
            InputElementType.UInt8 => ReadSamples<byte>(path, first, count, want, Numbers<byte>(path, want), out _),
            InputElementType.Bool => Array.ConvertAll(ReadSamples<long>(path, first, count, want,
                Numbers<long>(path, want), out _), v => v != 0),
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };
        return new InputTensor(shape, target, data);
    }

    /// <summary>Any file's values as <typeparamref name="T"/>: floats rounded, integers range-checked.</summary>
    private static Converter<T> Numbers<T>(string path, string want) where T : struct,
        System.Numerics.INumberBase<T> => (h, src, dst) =>
    {
        if (NpyHeader.ToTensorType(h.ElementType).ArrayElement() == typeof(T) && h.ElementType != NpyElementType.Bool)
        {
            MemoryMarshal.Cast<byte, T>(src).CopyTo(dst);
            return;
        }
        int item = h.ItemSize;
        try
        {
            for (int i = 0; i < dst.Length; i++)
            {
                var b = src.Slice(i * item, item);
                dst[i] = h.ElementType switch
                {
                    NpyElementType.Float32 => T.CreateSaturating(MemoryMarshal.Read<float>(b)),
                    NpyElementType.Float16 => T.CreateSaturating(MemoryMarshal.Read<Half>(b)),
                    NpyElementType.Float64 => T.CreateSaturating(MemoryMarshal.Read<double>(b)),
                    NpyElementType.Int64 => T.CreateChecked(MemoryMarshal.Read<long>(b)),
                    NpyElementType.Int32 => T.CreateChecked(MemoryMarshal.Read<int>(b)),
                    NpyElementType.Int16 => T.CreateChecked(MemoryMarshal.Read<short>(b)),
                    NpyElementType.Int8 => T.CreateChecked((sbyte)b[0]),
                    NpyElementType.UInt64 => T.CreateChecked(MemoryMarshal.Read<ulong>(b)),
                    NpyElementType.UInt32 => T.CreateChecked(MemoryMarshal.Read<uint>(b)),
                    NpyElementType.UInt16 => T.CreateChecked(MemoryMarshal.Read<ushort>(b)),
                    NpyElementType.Bool => T.CreateChecked(b[0] != 0 ? 1 : 0),
                    _ => T.CreateChecked(b[0]),
                };
            }
        }
        catch (OverflowException)
        {
            throw NpyHeader.Bad(path, $"it holds {h.DescrText} values outside the range of {want}");
        }
    };

    /// <summary>
    /// Writes a tensor of any type in its own NumPy type (bfloat16, which NumPy lacks, widened exactly to float32).
    /// </summary>
    public static void Write(string path, InputTensor t)
    {
        var shape = t.Shape.Select(d => (long)d).ToArray();
        if (t.ElementType == InputElementType.BFloat16)
        {
            Write(path, Array.ConvertAll((ushort[])t.Data, InputElementTypes.FromBFloat16), shape);
            return;
        }
        WriteRaw(path, NpyHeader.FromTensorType(t.ElementType), t.Bytes, t.Length, shape);
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

    /// <summary>
    /// Writes a header and little-endian data (x64 and Arm64 are little-endian, as NumPy's '&lt;' says).
    /// </summary>
    private static void WriteRaw(string path, NpyElementType type, ReadOnlySpan<byte> bytes, long elements,
        IReadOnlyList<long> shape)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("writing .npy needs a little-endian machine");
        long n = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape [{string.Join(",", shape)}] has a negative dimension");
            n = checked(n * d);
        }
        if (n != elements)
            throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {n} elements, got {elements}");
        byte[] header = NpyHeader.Format(type, shape);
        // Written from the caller's memory, not a copy: a crop shard is hundreds of MB, and a copy per file held it
        // twice.
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

    private static T[] ReadSamples<T>(string path, long first, long count, string want, Converter<T> convert,
        out NpyHeader header)
        where T : struct
    {
        using var s = Open(path);
        header = NpyHeader.Read(s, path);
        if (typeof(T) == typeof(long) && header.ElementType is NpyElementType.Float32 or NpyElementType.Float16
            or NpyElementType.Float64)
            throw NpyHeader.Bad(path,
                $"it holds {header.DescrText} values where integers are needed; save it as int64 or int32");
        long samples = header.SampleCount;
        if (count < 0) count = samples - first;
        if (first < 0 || count < 0 || first + count > samples)
            throw NpyHeader.Bad(path,
                $"samples {first}..{first + count - 1} were asked for, but axis 0 of shape {header.ShapeText} has " +
                $"{samples}");
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

    private static void SwapBytes(Span<byte> raw, int item)
    {
        switch (item)
        {
            case 2: { var v = MemoryMarshal.Cast<byte, ushort>(raw); for (int i = 0; i < v.Length; i++)
                v[i] = BinaryPrimitives.ReverseEndianness(v[i]); break; }
            case 4: { var v = MemoryMarshal.Cast<byte, uint>(raw); for (int i = 0; i < v.Length; i++)
                v[i] = BinaryPrimitives.ReverseEndianness(v[i]); break; }
            case 8: { var v = MemoryMarshal.Cast<byte, ulong>(raw); for (int i = 0; i < v.Length; i++)
                v[i] = BinaryPrimitives.ReverseEndianness(v[i]); break; }
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
