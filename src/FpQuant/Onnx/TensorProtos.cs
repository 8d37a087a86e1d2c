using System.Runtime.InteropServices;
using FpQuant.Core;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Onnx;

/// <summary>Conversions between TensorProto (raw little-endian data) and .NET arrays.</summary>
public static class TensorProtos
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
            throw new FpQuantException($"initializer '{t.Name}' uses external data, which fpquant does not read; re-save the model with all tensors inside the file");
        switch (type)
        {
            case DataType.Float:
                if (!t.RawData.IsEmpty) return CastRaw<float>(t, n);
                return t.FloatData.ToArray();
            case DataType.Float16:
            {
                Half[] h = t.RawData.IsEmpty ? t.Int32Data.Select(v => BitConverter.UInt16BitsToHalf((ushort)v)).ToArray() : CastRaw<Half>(t, n);
                return h.Select(v => (float)v).ToArray();
            }
            case DataType.Double:
                return (t.RawData.IsEmpty ? t.DoubleData.ToArray() : CastRaw<double>(t, n)).Select(v => (float)v).ToArray();
            default:
                throw new FpQuantException($"tensor '{t.Name}' has element type {type}, expected a float type");
        }
    }

    public static long[] ToInt64(TensorProto t)
    {
        var type = (DataType)t.DataType;
        long n = ElementCount(t);
        return type switch
        {
            DataType.Int64 => t.RawData.IsEmpty ? t.Int64Data.ToArray() : CastRaw<long>(t, n),
            DataType.Int32 => (t.RawData.IsEmpty ? t.Int32Data.ToArray() : CastRaw<int>(t, n)).Select(v => (long)v).ToArray(),
            _ => throw new FpQuantException($"tensor '{t.Name}' has element type {type}, expected an integer type"),
        };
    }

    public static T[] CastRaw<T>(TensorProto t, long n) where T : unmanaged
    {
        var span = t.RawData.Span;
        if (span.Length != n * Marshal.SizeOf<T>())
            throw new FpQuantException($"tensor '{t.Name}' holds {span.Length} bytes, but its shape {FloatTensor.ShapeString(t.Dims)} needs {n * Marshal.SizeOf<T>()}");
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
