using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FpQuant.Runtime;

/// <summary>ONNX Runtime's tensor element types as this project's <see cref="InputElementType"/>, and tensors of any
/// of them made into and read out of OrtValues.</summary>
internal static class OrtElementTypes
{
    /// <summary>
    /// The type, or null for one fpquant does not feed (strings, complex numbers, 4- and 8-bit floats).
    /// </summary>
    public static InputElementType? From(TensorElementType t) => t switch
    {
        TensorElementType.Float => InputElementType.Float,
        TensorElementType.Int64 => InputElementType.Int64,
        TensorElementType.Int32 => InputElementType.Int32,
        TensorElementType.Bool => InputElementType.Bool,
        TensorElementType.Int8 => InputElementType.Int8,
        TensorElementType.Int16 => InputElementType.Int16,
        TensorElementType.UInt8 => InputElementType.UInt8,
        TensorElementType.UInt16 => InputElementType.UInt16,
        TensorElementType.UInt32 => InputElementType.UInt32,
        TensorElementType.UInt64 => InputElementType.UInt64,
        TensorElementType.Float16 => InputElementType.Float16,
        TensorElementType.BFloat16 => InputElementType.BFloat16,
        TensorElementType.Double => InputElementType.Double,
        _ => null,
    };

    public static TensorElementType To(InputElementType t) => t switch
    {
        InputElementType.Float => TensorElementType.Float,
        InputElementType.Int64 => TensorElementType.Int64,
        InputElementType.Int32 => TensorElementType.Int32,
        InputElementType.Bool => TensorElementType.Bool,
        InputElementType.Int8 => TensorElementType.Int8,
        InputElementType.Int16 => TensorElementType.Int16,
        InputElementType.UInt8 => TensorElementType.UInt8,
        InputElementType.UInt16 => TensorElementType.UInt16,
        InputElementType.UInt32 => TensorElementType.UInt32,
        InputElementType.UInt64 => TensorElementType.UInt64,
        InputElementType.Float16 => TensorElementType.Float16,
        InputElementType.BFloat16 => TensorElementType.BFloat16,
        InputElementType.Double => TensorElementType.Double,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>ONNX Runtime's name of a tensor element type, e.g. "string" or "float8e4m3fn".</summary>
    public static string Name(TensorElementType t) => From(t)?.Name() ?? t.ToString().ToLowerInvariant();

    /// <summary>"a sequence", "a map", "an optional": what a value that is not a tensor is, for errors.</summary>
    public static string KindOf(OnnxValueType t)
    {
        string kind = t.ToString().Replace("ONNX_TYPE_", "").ToLowerInvariant();
        return ("aeiou".Contains(kind[0]) ? "an " : "a ") + kind;
    }

    /// <summary>
    /// An OrtValue holding <paramref name="t"/>: float, int64 and int32 arrays are pinned, not copied.
    /// </summary>
    public static OrtValue ToOrtValue(InputTensor t)
    {
        var shape = t.Shape.Select(d => (long)d).ToArray();
        // By element type, not by array: the runtime lets a uint[] pass as an int[] (and ulong[] as long[]).
        switch (t.ElementType)
        {
            case InputElementType.Float: return OrtValue.CreateTensorValueFromMemory((float[])t.Data, shape);
            case InputElementType.Int64: return OrtValue.CreateTensorValueFromMemory((long[])t.Data, shape);
            case InputElementType.Int32: return OrtValue.CreateTensorValueFromMemory((int[])t.Data, shape);
        }
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, To(t.ElementType), shape);
        t.Bytes.CopyTo(value.GetTensorMutableRawData());
        return value;
    }

    /// <summary>
    /// A copy of a tensor OrtValue of any numeric type; null for strings and other types fpquant does not read.
    /// </summary>
    public static InputTensor? FromOrtValue(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        if (From(info.ElementDataType) is not InputElementType type) return null;
        var shape = info.Shape.Select(d => checked((int)d)).ToArray();
        var data = Array.CreateInstance(type.ArrayElement(), info.ElementCount);
        var tensor = new InputTensor(shape, type, data);
        value.GetTensorMutableRawData().CopyTo(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data),
            checked((int)(info.ElementCount * type.ItemSize()))));
        return tensor;
    }
}
