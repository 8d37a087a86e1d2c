using System.Runtime.InteropServices;
using FpQuant.Core;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Onnx;

/// <summary>Conversions between TensorProto (raw little-endian data) and .NET arrays.</summary>
internal static class TensorProtos
{
    public static TensorProto FromFloats(string name, ReadOnlySpan<float> data, params long[] dims) =>
        Make(name, DataType.Float, MemoryMarshal.AsBytes(data), dims);

    public static TensorProto FromInt64(string name, ReadOnlySpan<long> data, params long[] dims) =>
        Make(name, DataType.Int64, MemoryMarshal.AsBytes(data), dims);

    public static TensorProto FromInt32(string name, ReadOnlySpan<int> data, params long[] dims) =>
        Make(name, DataType.Int32, MemoryMarshal.AsBytes(data), dims);

    public static TensorProto FromInt8(string name, ReadOnlySpan<sbyte> data, params long[] dims) =>
        Make(name, DataType.Int8, MemoryMarshal.AsBytes(data), dims);

    public static TensorProto FromUInt8(string name, ReadOnlySpan<byte> data, params long[] dims) =>
        Make(name, DataType.Uint8, data, dims);

    public static TensorProto FromHalf(string name, ReadOnlySpan<Half> data, params long[] dims) =>
        Make(name, DataType.Float16, MemoryMarshal.AsBytes(data), dims);

    public static TensorProto FromTensor(string name, FloatTensor t) =>
        FromFloats(name, t.Data, t.Shape.Select(d => (long)d).ToArray());

    private static TensorProto Make(string name, DataType type, ReadOnlySpan<byte> raw, long[] dims)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw data is little-endian");
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }

    public static long[] Dims(TensorProto t) => t.Dims.ToArray();

    public static long ElementCount(TensorProto t)
    {
        long n = 1;
        foreach (long d in t.Dims) n *= d;
        return n;
    }

    /// <summary>Reads a float tensor, whether stored as raw_data, float_data or float16.</summary>
    public static float[] ToFloats(TensorProto t)
    {
        long n = ElementCount(t);
        var type = (DataType)t.DataType;
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new FpQuantException($"initializer '{t.Name}' uses external data, which fpquant does not read; " +
                $"re-save the model with all tensors inside the file");
        switch (type)
        {
            case DataType.Float:
                if (!t.RawData.IsEmpty) return CastRaw<float>(t, n);
                return t.FloatData.ToArray();
            case DataType.Float16:
            {
                Half[] h = t.RawData.IsEmpty
                    ? t.Int32Data.Select(v => BitConverter.UInt16BitsToHalf((ushort)v)).ToArray() : CastRaw<Half>(t, n);
                return h.Select(v => (float)v).ToArray();
            }
            case DataType.Double:
                return (t.RawData.IsEmpty ? t.DoubleData.ToArray() : CastRaw<double>(t, n)).Select(v => (float)v)
                    .ToArray();
            default:
                throw new FpQuantException($"tensor '{t.Name}' has element type {type}, expected a float type");
        }
    }

    /// <summary>Any numeric or bool tensor in its own element type, from raw_data or the typed field ONNX keeps it in;
    /// null for strings, complex numbers and the 4- and 8-bit types.</summary>
    public static InputTensor? ToTensor(TensorProto t)
    {
        var type = (DataType)t.DataType;
        InputElementType? element = type switch
        {
            DataType.Float => InputElementType.Float, DataType.Double => InputElementType.Double,
            DataType.Float16 => InputElementType.Float16, DataType.Bfloat16 => InputElementType.BFloat16,
            DataType.Int64 => InputElementType.Int64, DataType.Int32 => InputElementType.Int32,
            DataType.Int16 => InputElementType.Int16, DataType.Int8 => InputElementType.Int8,
            DataType.Uint64 => InputElementType.UInt64, DataType.Uint32 => InputElementType.UInt32,
            DataType.Uint16 => InputElementType.UInt16, DataType.Uint8 => InputElementType.UInt8,
            DataType.Bool => InputElementType.Bool,
            _ => null,
        };
        if (element is not InputElementType e) return null;
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new FpQuantException($"tensor '{ErrorText.Quote(t.Name)}' uses external data, which fpquant does " +
                $"not read; re-save the model with all tensors inside the file");
        if (t.Dims.Any(d => d < 0 || d > int.MaxValue))
            throw new FpQuantException($"tensor '{ErrorText.Quote(t.Name)}' has shape " +
                $"{FloatTensor.ShapeString(t.Dims)}, which no tensor here may have");
        int[] shape = t.Dims.Select(d => (int)d).ToArray();
        long n;
        try { n = t.Dims.Aggregate(1L, (a, d) => checked(a * d)); }
        catch (OverflowException) { throw new FpQuantException($"tensor '{ErrorText.Quote(t.Name)}' has shape " +
            $"{FloatTensor.ShapeString(t.Dims)}, more elements than any tensor holds"); }
        // The stored values must match the shape before anything of the shape's size is allocated.
        long stored = !t.RawData.IsEmpty ? t.RawData.Length / e.ItemSize() : e switch
        {
            InputElementType.Float => t.FloatData.Count, InputElementType.Double => t.DoubleData.Count,
            InputElementType.Int64 => t.Int64Data.Count,
            InputElementType.UInt64 or InputElementType.UInt32 => t.Uint64Data.Count, _ => t.Int32Data.Count,
        };
        if (stored != n || (!t.RawData.IsEmpty && t.RawData.Length % e.ItemSize() != 0))
            throw new FpQuantException($"tensor '{ErrorText.Quote(t.Name)}' holds " +
                $"{(t.RawData.IsEmpty ? $"{stored} values" : $"{t.RawData.Length} bytes")}, but its shape " +
                $"{FloatTensor.ShapeString(t.Dims)} needs {n} {e.Name()} values");
        var data = Array.CreateInstance(e.ArrayElement(), n);
        if (!t.RawData.IsEmpty)
        {
            var bytes = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(data),
                checked((int)(n * e.ItemSize())));
            t.RawData.Span.CopyTo(bytes);
            if (e == InputElementType.Bool) for (int i = 0; i < bytes.Length; i++)
                bytes[i] = bytes[i] != 0 ? (byte)1 : (byte)0;
            return new InputTensor(shape, e, data);
        }
        // By element type, not by array: the runtime lets a ulong[] pass as a long[] (and byte[] as sbyte[]).
        switch (e)
        {
            case InputElementType.Float: t.FloatData.CopyTo((float[])data, 0); break;
            case InputElementType.Double: t.DoubleData.CopyTo((double[])data, 0); break;
            case InputElementType.Int64: t.Int64Data.CopyTo((long[])data, 0); break;
            case InputElementType.UInt64: t.Uint64Data.CopyTo((ulong[])data, 0); break;
            case InputElementType.UInt32: { var a = (uint[])data; for (int i = 0; i < n; i++)
                a[i] = (uint)t.Uint64Data[i]; break; }
            case InputElementType.Int32: t.Int32Data.CopyTo((int[])data, 0); break;
            case InputElementType.Bool: { var a = (bool[])data; for (int i = 0; i < n; i++)
                a[i] = t.Int32Data[i] != 0; break; }
            case InputElementType.Float16: { var a = (Half[])data; for (int i = 0; i < n; i++)
                a[i] = BitConverter.UInt16BitsToHalf((ushort)t.Int32Data[i]); break; }
            // int16, int8, uint16, uint8 and bfloat16 (its bits) sit in int32_data, one value each.
            case InputElementType.Int16: { var a = (short[])data; for (int i = 0; i < n; i++)
                a[i] = (short)t.Int32Data[i]; break; }
            case InputElementType.Int8: { var a = (sbyte[])data; for (int i = 0; i < n; i++)
                a[i] = (sbyte)t.Int32Data[i]; break; }
            case InputElementType.UInt16
                or InputElementType.BFloat16: { var a = (ushort[])data; for (int i = 0; i < n; i++)
                    a[i] = (ushort)t.Int32Data[i]; break; }
            case InputElementType.UInt8: { var a = (byte[])data; for (int i = 0; i < n; i++)
                a[i] = (byte)t.Int32Data[i]; break; }
        }
        return new InputTensor(shape, e, data);
    }

    public static long[] ToInt64(TensorProto t)
    {
        var type = (DataType)t.DataType;
        long n = ElementCount(t);
        return type switch
        {
            DataType.Int64 => t.RawData.IsEmpty ? t.Int64Data.ToArray() : CastRaw<long>(t, n),
            DataType.Int32 =>
                (t.RawData.IsEmpty ? t.Int32Data.ToArray() : CastRaw<int>(t, n)).Select(v => (long)v).ToArray(),
            _ => throw new FpQuantException($"tensor '{t.Name}' has element type {type}, expected an integer type"),
        };
    }

    public static T[] CastRaw<T>(TensorProto t, long n) where T : unmanaged
    {
        var span = t.RawData.Span;
        if (span.Length != n * Marshal.SizeOf<T>())
            throw new FpQuantException($"tensor '{t.Name}' holds {span.Length} bytes, but its shape " +
                $"{FloatTensor.ShapeString(t.Dims)} needs {n * Marshal.SizeOf<T>()}");
        return MemoryMarshal.Cast<byte, T>(span).ToArray();
    }

    public static int ByteSizeOf(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 or DataType.Uint64 => 8,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Int8 or DataType.Uint8 or DataType.Bool => 1,
        _ => 0,
    };

    /// <summary>Stored bytes of an initializer, whichever field carries them.</summary>
    public static long StoredBytes(TensorProto t)
    {
        if (!t.RawData.IsEmpty) return t.RawData.Length;
        int size = ByteSizeOf((DataType)t.DataType);
        return ElementCount(t) * Math.Max(size, 1);
    }
}
