namespace FpQuant.Core;

/// <summary>The element types a model input may take here.</summary>
public enum InputElementType { Float, Int64, Int32 }

/// <summary>
/// A dense row-major tensor fed to a model input: float32, int64 (token ids, masks) or int32 values with a shape.
/// Calibration and evaluation sources yield batches of these, named by input, so any model can be fed.
/// </summary>
public sealed class InputTensor
{
    public int[] Shape { get; }
    public InputElementType ElementType { get; }
    /// <summary>float[], long[] or int[], as <see cref="ElementType"/> says.</summary>
    public Array Data { get; }

    private InputTensor(int[] shape, InputElementType type, Array data)
    {
        long n = FloatTensor.ElementCount(shape);
        if (n != data.Length)
            throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {n} elements, got {data.Length}");
        Shape = shape; ElementType = type; Data = data;
    }

    public InputTensor(FloatTensor t) : this(t.Shape, InputElementType.Float, t.Data) { }
    public InputTensor(int[] shape, float[] data) : this(shape, InputElementType.Float, data) { }
    public InputTensor(int[] shape, long[] data) : this(shape, InputElementType.Int64, data) { }
    public InputTensor(int[] shape, int[] data) : this(shape, InputElementType.Int32, data) { }

    public static implicit operator InputTensor(FloatTensor t) => new(t);

    /// <summary>A batch of float tensors as input tensors.</summary>
    public static Dictionary<string, InputTensor> Batch(IReadOnlyDictionary<string, FloatTensor> floats) =>
        floats.ToDictionary(kv => kv.Key, kv => new InputTensor(kv.Value), StringComparer.Ordinal);

    public long Length => Data.Length;
    /// <summary>Samples along axis 0 (1 for a scalar).</summary>
    public int Samples => Shape.Length == 0 ? 1 : Shape[0];
    public string ShapeText => "[" + string.Join("x", Shape) + "]";
    public string TypeName => ElementType switch { InputElementType.Float => "float32", InputElementType.Int64 => "int64", _ => "int32" };

    /// <summary>The float view, for float inputs only.</summary>
    public FloatTensor AsFloat() => ElementType == InputElementType.Float ? new FloatTensor(Shape, (float[])Data)
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

    /// <summary>The index of the first value that is not finite, or -1 (integers are always finite).</summary>
    public long FirstNonFinite()
    {
        if (Data is not float[] f) return -1;
        for (long i = 0; i < f.LongLength; i++) if (!float.IsFinite(f[i])) return i;
        return -1;
    }
}
