using FpQuant.Core;

namespace FpQuant.Checkpoints;

public enum TorchDType { Float32, Float16, BFloat16, Float64, Int64, Int32, Int16, Int8, UInt8, Bool }

/// <summary>A storage named by a pickle's persistent id: its key in the archive, element type and element count.</summary>
public sealed record TorchStorageRef(string Key, TorchDType DType, long Numel, string Location)
{
    /// <summary>The most elements a storage may claim (2^40): far beyond any checkpoint, small enough that byte counts
    /// and element reaches never overflow.</summary>
    public const long MaxNumel = 1L << 40;

    public long Bytes => Numel * TorchDTypes.Size(DType);
}

/// <summary>A tensor the pickle describes but whose data has not been read: a view into a storage.</summary>
public sealed record TorchTensorRef(TorchStorageRef Storage, long Offset, long[] Size, long[] Stride)
{
    public long Numel => Size.Aggregate(1L, (a, d) => a * d);
    public TorchDType DType => Storage.DType;

    /// <summary>Row-major with no gaps (size-1 dimensions may carry any stride).</summary>
    public bool IsContiguous
    {
        get
        {
            long expect = 1;
            for (int d = Size.Length - 1; d >= 0; d--)
            {
                if (Size[d] != 1 && Stride[d] != expect) return false;
                expect *= Size[d];
            }
            return true;
        }
    }
}

public static class TorchDTypes
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
