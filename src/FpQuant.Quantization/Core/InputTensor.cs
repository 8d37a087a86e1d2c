using System.Runtime.InteropServices;

namespace FpQuant.Core;

/// <summary>The element types of a tensor fed to or read from a model here: every numeric ONNX type ONNX Runtime
/// takes as a model input (strings and complex numbers excepted).</summary>
public enum InputElementType
{
    /// <summary>float32 (<see cref="float"/>).</summary>
    Float,
    /// <summary>int64 (<see cref="long"/>).</summary>
    Int64,
    /// <summary>int32 (<see cref="int"/>).</summary>
    Int32,
    /// <summary>bool (<see cref="bool"/>).</summary>
    Bool,
    /// <summary>int8 (<see cref="sbyte"/>).</summary>
    Int8,
    /// <summary>int16 (<see cref="short"/>).</summary>
    Int16,
    /// <summary>uint8 (<see cref="byte"/>).</summary>
    UInt8,
    /// <summary>uint16 (<see cref="ushort"/>).</summary>
    UInt16,
    /// <summary>uint32 (<see cref="uint"/>).</summary>
    UInt32,
    /// <summary>uint64 (<see cref="ulong"/>).</summary>
    UInt64,
    /// <summary>float16 (<see cref="Half"/>).</summary>
    Float16,
    /// <summary>bfloat16 (held as <see cref="ushort"/> bit patterns).</summary>
    BFloat16,
    /// <summary>float64 (<see cref="double"/>).</summary>
    Double,
}

internal static class InputElementTypes
{
    /// <summary>NumPy's name for the type (bfloat16 has none in NumPy itself; it is named as ml_dtypes does).</summary>
    public static string Name(this InputElementType t) => t switch
    {
        InputElementType.Float => "float32",
        InputElementType.Int64 => "int64",
        InputElementType.Int32 => "int32",
        InputElementType.Bool => "bool",
        InputElementType.Int8 => "int8",
        InputElementType.Int16 => "int16",
        InputElementType.UInt8 => "uint8",
        InputElementType.UInt16 => "uint16",
        InputElementType.UInt32 => "uint32",
        InputElementType.UInt64 => "uint64",
        InputElementType.Float16 => "float16",
        InputElementType.BFloat16 => "bfloat16",
        InputElementType.Double => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool IsFloat(this InputElementType t) =>
        t is InputElementType.Float or InputElementType.Float16 or InputElementType.BFloat16 or InputElementType.Double;

    /// <summary>The .NET element of the array that holds values of this type (bfloat16 as its 16 raw bits).</summary>
    public static Type ArrayElement(this InputElementType t) => t switch
    {
        InputElementType.Float => typeof(float),
        InputElementType.Int64 => typeof(long),
        InputElementType.Int32 => typeof(int),
        InputElementType.Bool => typeof(bool),
        InputElementType.Int8 => typeof(sbyte),
        InputElementType.Int16 => typeof(short),
        InputElementType.UInt8 => typeof(byte),
        InputElementType.UInt16 => typeof(ushort),
        InputElementType.UInt32 => typeof(uint),
        InputElementType.UInt64 => typeof(ulong),
        InputElementType.Float16 => typeof(Half),
        InputElementType.BFloat16 => typeof(ushort),
        InputElementType.Double => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static int ItemSize(this InputElementType t) =>
        Marshal.SizeOf(t == InputElementType.Bool ? typeof(byte) : t.ArrayElement());

    /// <summary>bfloat16 bits from a float, rounded to nearest even (NaN stays a quiet NaN).</summary>
    public static ushort ToBFloat16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static float FromBFloat16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);
}

/// <summary>
/// A dense row-major tensor fed to a model input (or read from an output): float32, int64 (token ids, masks),
/// int32 or any other numeric type of <see cref="InputElementType"/>, with a shape. Calibration and evaluation
/// sources yield batches of these, named by input, so any model can be fed.
/// </summary>
public sealed class InputTensor
{
    /// <summary>The dimensions.</summary>
    public int[] Shape { get; }
    /// <summary>The element type.</summary>
    public InputElementType ElementType { get; }
    /// <summary>
    /// An array of <see cref="InputElementTypes.ArrayElement"/> of <see cref="ElementType"/>: float[], long[], int[],
    /// ...
    /// </summary>
    public Array Data { get; }

    /// <summary>A tensor of any element type over <paramref name="data"/> (not copied).</summary>
    /// <param name="shape">The dimensions.</param>
    /// <param name="type">The element type.</param>
    /// <param name="data">The values, row-major, in the array type of <paramref name="type"/> (float[] for Float,
    /// long[] for Int64, Half[] for Float16, ...).</param>
    /// <exception cref="ArgumentException">The count or the array type does not fit.</exception>
    public InputTensor(int[] shape, InputElementType type, Array data)
    {
        long n = FloatTensor.ElementCount(shape);
        if (n != data.Length)
            throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {n} elements, got {data.Length}");
        if (data.GetType().GetElementType() != type.ArrayElement())
            throw new ArgumentException($"a {type.Name()} tensor is held in {type.ArrayElement().Name}[], not " +
                $"{data.GetType().Name}");
        Shape = shape; ElementType = type; Data = data;
    }

    internal InputTensor(FloatTensor t) : this(t.Shape, InputElementType.Float, t.Data) { }
    /// <summary>A float32 tensor.</summary>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The values, row-major.</param>
    public InputTensor(int[] shape, float[] data) : this(shape, InputElementType.Float, data) { }
    /// <summary>An int64 tensor (token ids, masks).</summary>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The values, row-major.</param>
    public InputTensor(int[] shape, long[] data) : this(shape, InputElementType.Int64, data) { }
    /// <summary>An int32 tensor.</summary>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The values, row-major.</param>
    public InputTensor(int[] shape, int[] data) : this(shape, InputElementType.Int32, data) { }

    /// <summary>A float32 input tensor over the float tensor's data.</summary>
    /// <param name="t">The float tensor.</param>
    public static implicit operator InputTensor(FloatTensor t) => new(t);

    /// <summary>A batch of float tensors as input tensors.</summary>
    internal static Dictionary<string, InputTensor> Batch(IReadOnlyDictionary<string, FloatTensor> floats) =>
        floats.ToDictionary(kv => kv.Key, kv => new InputTensor(kv.Value), StringComparer.Ordinal);

    /// <summary>The number of elements.</summary>
    public long Length => Data.Length;
    /// <summary>Samples along axis 0 (1 for a scalar).</summary>
    public int Samples => Shape.Length == 0 ? 1 : Shape[0];
    /// <summary>The shape as text, e.g. "[8x128]".</summary>
    public string ShapeText => "[" + string.Join("x", Shape) + "]";
    /// <summary>The element type's NumPy name, e.g. "float32".</summary>
    public string TypeName => ElementType.Name();

    /// <summary>
    /// The values' bytes, little-endian as the machine holds them (what ONNX Runtime and .npy files take).
    /// </summary>
    public ReadOnlySpan<byte> Bytes => MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(Data),
        checked((int)(Length * ElementType.ItemSize())));

    /// <summary>The float view, for float inputs only.</summary>
    internal FloatTensor AsFloat() => ElementType == InputElementType.Float ? new FloatTensor(Shape, (float[])Data)
        : throw new InvalidOperationException($"a {TypeName} tensor is not float");

    /// <summary>Samples [start, start + count) along axis 0 (copied).</summary>
    public InputTensor Slice(int start, int count)
    {
        if (Shape.Length == 0) throw new InvalidOperationException("a scalar has no samples to slice");
        if (start < 0 || count < 0 || start + count > Shape[0]) throw new ArgumentOutOfRangeException(nameof(count));
        int per = (int)(Length / Math.Max(1, Shape[0]));
        var shape = (int[])Shape.Clone();
        shape[0] = count;
        var data = Array.CreateInstance(Data.GetType().GetElementType()!, (long)count * per);
        Array.Copy(Data, (long)start * per, data, 0, (long)count * per);
        return new InputTensor(shape, ElementType, data);
    }

    /// <summary>Element <paramref name="i"/> as a double (float types exactly; 64-bit integers rounded).</summary>
    public double ValueAt(long i) => ElementType switch
    {
        InputElementType.Float => ((float[])Data)[i],
        InputElementType.Double => ((double[])Data)[i],
        InputElementType.Float16 => (double)((Half[])Data)[i],
        InputElementType.BFloat16 => InputElementTypes.FromBFloat16(((ushort[])Data)[i]),
        InputElementType.Bool => ((bool[])Data)[i] ? 1 : 0,
        InputElementType.Int64 => ((long[])Data)[i],
        InputElementType.Int32 => ((int[])Data)[i],
        _ => Convert.ToDouble(Data.GetValue(i), System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The index of the first value that is not finite, or -1 (integers are always finite).</summary>
    public long FirstNonFinite()
    {
        if (!ElementType.IsFloat()) return -1;
        if (ElementType == InputElementType.Float && Data is float[] f)
        {
            for (long i = 0; i < f.LongLength; i++) if (!float.IsFinite(f[i])) return i;
            return -1;
        }
        for (long i = 0; i < Length; i++) if (!double.IsFinite(ValueAt(i))) return i;
        return -1;
    }
}
