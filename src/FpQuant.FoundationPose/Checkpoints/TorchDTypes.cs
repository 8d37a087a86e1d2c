using FpQuant.Core;

namespace FpQuant.Checkpoints;

/// <summary>Element sizes, names and conversions of torch storage types.</summary>
internal static class TorchDTypes
{
    public static TorchDType FromStorageType(string name) => name switch
    {
        "FloatStorage" => TorchDType.Float32,
        "HalfStorage" => TorchDType.Float16,
        "BFloat16Storage" => TorchDType.BFloat16,
        "DoubleStorage" => TorchDType.Float64,
        "LongStorage" => TorchDType.Int64,
        "IntStorage" => TorchDType.Int32,
        "ShortStorage" => TorchDType.Int16,
        "CharStorage" => TorchDType.Int8,
        "ByteStorage" => TorchDType.UInt8,
        "BoolStorage" => TorchDType.Bool,
        _ => throw new FpQuantException($"unsupported storage type '{name}'"),
    };

    public static int Size(TorchDType t) => t switch
    {
        TorchDType.Float64 or TorchDType.Int64 => 8,
        TorchDType.Float32 or TorchDType.Int32 => 4,
        TorchDType.Float16 or TorchDType.BFloat16 or TorchDType.Int16 => 2,
        _ => 1,
    };

    public static string Name(TorchDType t) => t switch
    {
        TorchDType.Float32 => "float32", TorchDType.Float16 => "float16", TorchDType.BFloat16 => "bfloat16",
        TorchDType.Float64 => "float64", TorchDType.Int64 => "int64", TorchDType.Int32 => "int32",
        TorchDType.Int16 => "int16", TorchDType.Int8 => "int8", TorchDType.UInt8 => "uint8", _ => "bool",
    };

    /// <summary>Element i of a little-endian storage as float32.</summary>
    public static float ReadAsFloat(ReadOnlySpan<byte> storage, long i, TorchDType t)
    {
        int k = (int)(i * Size(t));
        return t switch
        {
            TorchDType.Float32 => BitConverter.ToSingle(storage.Slice(k, 4)),
            TorchDType.Float16 => (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(storage.Slice(k, 2))),
            TorchDType.BFloat16 => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(storage.Slice(k, 2)) << 16),
            TorchDType.Float64 => (float)BitConverter.ToDouble(storage.Slice(k, 8)),
            TorchDType.Int64 => BitConverter.ToInt64(storage.Slice(k, 8)),
            TorchDType.Int32 => BitConverter.ToInt32(storage.Slice(k, 4)),
            TorchDType.Int16 => BitConverter.ToInt16(storage.Slice(k, 2)),
            TorchDType.Int8 => (sbyte)storage[k],
            _ => storage[k],
        };
    }
}
