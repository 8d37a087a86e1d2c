using System.Globalization;
using System.Text;

namespace FpQuant.Core;

/// <summary>The element types fpquant reads and writes in NumPy files.</summary>
internal enum NpyElementType { Float32, Float16, Float64, Int64, Int32, UInt8, Bool, Int8, Int16, UInt16, UInt32,
    UInt64 }

/// <summary>
/// The header of a NumPy .npy file (format versions 1, 2 and 3): element type, byte order, C-order shape and where
/// the data starts. Parsed without evaluating anything: the header is a Python dict literal, read here as the three
/// keys NumPy writes and nothing else.
/// </summary>
internal sealed record NpyHeader(NpyElementType ElementType, bool BigEndian, long[] Shape, long DataOffset)
{
    /// <summary>NumPy's magic string, "\x93NUMPY".</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// Headers longer than this are refused before they are read (NumPy itself caps them near 10 kB).
    /// </summary>
    public const int MaxHeaderBytes = 65536;

    public int ItemSize => ItemSizeOf(ElementType);

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Shape) n = checked(n * d);
            return n;
        }
    }

    public long DataBytes => checked(ElementCount * ItemSize);

    /// <summary>The length of axis 0 (the sample axis); 1 for a scalar.</summary>
    public long SampleCount => Shape.Length == 0 ? 1 : Shape[0];

    /// <summary>Elements per sample: the product of every axis after the first.</summary>
    public long ElementsPerSample => Shape.Length == 0 ? 1 : Shape.Skip(1).Aggregate(1L, (a, d) => checked(a * d));

    public string ShapeText => "(" + string.Join(", ", Shape) + (Shape.Length == 1 ? ",)" : ")");

    public string DescrText => DescrOf(ElementType, BigEndian);

    public bool IsFloat => ElementType is NpyElementType.Float32 or NpyElementType.Float16 or NpyElementType.Float64;

    /// <summary>The tensor element type that holds this file's values exactly.</summary>
    public InputElementType TensorType => ToTensorType(ElementType);

    public static InputElementType ToTensorType(NpyElementType t) => t switch
    {
        NpyElementType.Float32 => InputElementType.Float,
        NpyElementType.Float16 => InputElementType.Float16,
        NpyElementType.Float64 => InputElementType.Double,
        NpyElementType.Int64 => InputElementType.Int64,
        NpyElementType.Int32 => InputElementType.Int32,
        NpyElementType.UInt8 => InputElementType.UInt8,
        NpyElementType.Bool => InputElementType.Bool,
        NpyElementType.Int8 => InputElementType.Int8,
        NpyElementType.Int16 => InputElementType.Int16,
        NpyElementType.UInt16 => InputElementType.UInt16,
        NpyElementType.UInt32 => InputElementType.UInt32,
        NpyElementType.UInt64 => InputElementType.UInt64,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>
    /// The .npy type a tensor of <paramref name="t"/> is written as (bfloat16, which NumPy lacks, as float32).
    /// </summary>
    public static NpyElementType FromTensorType(InputElementType t) => t switch
    {
        InputElementType.Float or InputElementType.BFloat16 => NpyElementType.Float32,
        InputElementType.Float16 => NpyElementType.Float16,
        InputElementType.Double => NpyElementType.Float64,
        InputElementType.Int64 => NpyElementType.Int64,
        InputElementType.Int32 => NpyElementType.Int32,
        InputElementType.UInt8 => NpyElementType.UInt8,
        InputElementType.Bool => NpyElementType.Bool,
        InputElementType.Int8 => NpyElementType.Int8,
        InputElementType.Int16 => NpyElementType.Int16,
        InputElementType.UInt16 => NpyElementType.UInt16,
        InputElementType.UInt32 => NpyElementType.UInt32,
        InputElementType.UInt64 => NpyElementType.UInt64,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>The shape as int axes for a tensor; an axis over 2^31 - 1 (possible in a file of 0 elements) is
    /// refused with the file named.</summary>
    public int[] TensorShape(string path, long samples)
    {
        var dims = Shape.Length == 0 ? Array.Empty<long>() : new[] { samples }.Concat(Shape.Skip(1)).ToArray();
        var r = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] > int.MaxValue)
                throw Bad(path,
                    $"axis {i} of shape {ShapeText} is {dims[i]}, more than a tensor axis may hold here (2147483647)");
            r[i] = (int)dims[i];
        }
        return r;
    }

    public static int ItemSizeOf(NpyElementType t) => t switch
    {
        NpyElementType.Float32 => 4,
        NpyElementType.Float16 => 2,
        NpyElementType.Float64 => 8,
        NpyElementType.Int64 => 8,
        NpyElementType.Int32 => 4,
        NpyElementType.UInt8 => 1,
        NpyElementType.Bool => 1,
        NpyElementType.Int8 => 1,
        NpyElementType.Int16 or NpyElementType.UInt16 => 2,
        NpyElementType.UInt32 => 4,
        NpyElementType.UInt64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static string DescrOf(NpyElementType t, bool bigEndian = false)
    {
        if (t is NpyElementType.UInt8) return "|u1";
        if (t is NpyElementType.Bool) return "|b1";
        if (t is NpyElementType.Int8) return "|i1";
        char order = bigEndian ? '>' : '<';
        return t switch
        {
            NpyElementType.Float32 => $"{order}f4",
            NpyElementType.Float16 => $"{order}f2",
            NpyElementType.Float64 => $"{order}f8",
            NpyElementType.Int64 => $"{order}i8",
            NpyElementType.Int16 => $"{order}i2",
            NpyElementType.UInt16 => $"{order}u2",
            NpyElementType.UInt32 => $"{order}u4",
            NpyElementType.UInt64 => $"{order}u8",
            _ => $"{order}i4",
        };
    }

    /// <summary>
    /// Reads and checks the header of <paramref name="path"/>: the data it announces must fit the file exactly.
    /// </summary>
    public static NpyHeader Read(Stream s, string path)
    {
        long fileLength = s.Length;
        Span<byte> pre = stackalloc byte[12];
        if (fileLength < 10 || !TryRead(s, pre[..10]) || !pre[..6].SequenceEqual(Magic))
            throw Bad(path, "it is not a NumPy .npy file (no \\x93NUMPY magic)");
        byte major = pre[6];
        long headerLength;
        int prefix;
        if (major == 1)
        {
            headerLength = pre[8] | (pre[9] << 8);
            prefix = 10;
        }
        else if (major is 2 or 3)
        {
            if (!TryRead(s, pre[10..12])) throw Bad(path, "the file ends inside its header");
            headerLength = (uint)(pre[8] | (pre[9] << 8) | (pre[10] << 16) | (pre[11] << 24));
            prefix = 12;
        }
        else throw Bad(path, $"format version {major}.{pre[7]} is not one of 1.0, 2.0, 3.0");
        if (headerLength > MaxHeaderBytes || prefix + headerLength > fileLength)
            throw Bad(path,
                $"its header claims {headerLength} bytes, more than the file or the {MaxHeaderBytes}-byte limit " +
                $"allows");
        var headerBytes = new byte[headerLength];
        if (!TryRead(s, headerBytes)) throw Bad(path, "the file ends inside its header");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var header = Parse(text, prefix + headerLength, path);
        long need;
        try { need = header.DataBytes; }
        catch (OverflowException) { throw Bad(path, $"shape {header.ShapeText} is too large"); }
        if (need != fileLength - header.DataOffset)
            throw Bad(path,
                $"shape {header.ShapeText} of {header.DescrText} needs {need} data bytes, but the file holds " +
                $"{fileLength - header.DataOffset}; the file is truncated or not what its header says");
        return header;
    }

    private static NpyHeader Parse(string text, long dataOffset, string path)
    {
        string descr = StringValue(text, "descr", path);
        string fortran = RawValue(text, "fortran_order", path);
        if (fortran == "True")
            throw Bad(path, "it is stored in Fortran order; save it in C order (np.ascontiguousarray) and try again");
        if (fortran != "False") throw Bad(path, $"fortran_order is '{Short(fortran)}', expected True or False");
        string shapeText = RawValue(text, "shape", path);
        var (type, big) = descr switch
        {
            "<f4" or "=f4" => (NpyElementType.Float32, false),
            ">f4" => (NpyElementType.Float32, true),
            "<f2" or "=f2" => (NpyElementType.Float16, false),
            ">f2" => (NpyElementType.Float16, true),
            "<f8" or "=f8" => (NpyElementType.Float64, false),
            ">f8" => (NpyElementType.Float64, true),
            "<i8" or "=i8" => (NpyElementType.Int64, false),
            ">i8" => (NpyElementType.Int64, true),
            "<i4" or "=i4" => (NpyElementType.Int32, false),
            ">i4" => (NpyElementType.Int32, true),
            "|u1" or "<u1" or ">u1" => (NpyElementType.UInt8, false),
            "|b1" => (NpyElementType.Bool, false),
            "|i1" or "<i1" or ">i1" => (NpyElementType.Int8, false),
            "<i2" or "=i2" => (NpyElementType.Int16, false),
            ">i2" => (NpyElementType.Int16, true),
            "<u2" or "=u2" => (NpyElementType.UInt16, false),
            ">u2" => (NpyElementType.UInt16, true),
            "<u4" or "=u4" => (NpyElementType.UInt32, false),
            ">u4" => (NpyElementType.UInt32, true),
            "<u8" or "=u8" => (NpyElementType.UInt64, false),
            ">u8" => (NpyElementType.UInt64, true),
            _ => throw Bad(path,
                $"element type '{Short(descr)}' is not supported; use float32, float16, float64, int8/16/32/64, " +
                $"uint8/16/32/64 or bool"),
        };
        return new NpyHeader(type, big, ParseShape(shapeText, path), dataOffset);
    }

    private static long[] ParseShape(string t, string path)
    {
        if (t.Length < 2 || t[0] != '(' || t[^1] != ')') throw Bad(path, $"shape '{Short(t)}' is not a tuple");
        var parts = t[1..^1].Split(',', StringSplitOptions.TrimEntries);
        var dims = new List<long>();
        for (int i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0 && i == parts.Length - 1) break; // "(3,)" or "()"
            if (dims.Count >= 32) throw Bad(path, "shape has more than 32 axes");
            if (!long.TryParse(parts[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                throw Bad(path, $"shape '{Short(t)}' has a dimension that is not a non-negative integer");
            dims.Add(d);
        }
        return dims.ToArray();
    }

    private static string StringValue(string text, string key, string path)
    {
        string raw = RawValue(text, key, path);
        if (raw.Length < 2 || raw[0] is not ('\'' or '"') || raw[^1] != raw[0])
            throw Bad(path, $"header key '{key}' is not a string");
        return raw[1..^1];
    }

    /// <summary>The value text after 'key': up to the next top-level comma or the closing brace.</summary>
    private static string RawValue(string text, string key, string path)
    {
        int k = text.IndexOf("'" + key + "'", StringComparison.Ordinal);
        if (k < 0) k = text.IndexOf("\"" + key + "\"", StringComparison.Ordinal);
        if (k < 0) throw Bad(path, $"its header has no '{key}'");
        int colon = text.IndexOf(':', k + key.Length + 2);
        if (colon < 0) throw Bad(path, $"header key '{key}' has no value");
        int i = colon + 1, depth = 0;
        int start = i;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if ((c == ',' || c == '}') && depth == 0) break;
        }
        return text[start..i].Trim();
    }

    private static bool TryRead(Stream s, Span<byte> buffer)
    {
        try { s.ReadExactly(buffer); return true; }
        catch (EndOfStreamException) { return false; }
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "...";

    internal static FpQuantException Bad(string path, string what) => new($"NumPy file '{path}': {what}");

    /// <summary>
    /// The header bytes NumPy 1.0 writes for this type and shape (padded so the data is 64-byte aligned).
    /// </summary>
    public static byte[] Format(NpyElementType type, IReadOnlyList<long> shape)
    {
        string shapeText = "(" + string.Join(", ", shape) + (shape.Count == 1 ? ",)" : ")");
        string dict = $"{{'descr': '{DescrOf(type)}', 'fortran_order': False, 'shape': {shapeText}, }}";
        bool v2 = dict.Length + 11 > ushort.MaxValue;
        int prefix = v2 ? 12 : 10;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string padded = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        var bytes = new byte[total];
        Magic.CopyTo(bytes);
        bytes[6] = (byte)(v2 ? 2 : 1);
        bytes[7] = 0;
        int len = padded.Length;
        bytes[8] = (byte)len;
        bytes[9] = (byte)(len >> 8);
        if (v2) { bytes[10] = (byte)(len >> 16); bytes[11] = (byte)(len >> 24); }
        Encoding.Latin1.GetBytes(padded, bytes.AsSpan(prefix));
        return bytes;
    }
}
