namespace FpQuant.Core;

/// <summary>
/// A dense row-major float32 tensor: the currency between weight sources, graph builders and the runtime.
/// </summary>
public sealed class FloatTensor
{
    /// <summary>The dimensions.</summary>
    public int[] Shape { get; }
    /// <summary>The values, row-major.</summary>
    public float[] Data { get; }

    /// <summary>A tensor over <paramref name="data"/> (not copied).</summary>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The values, row-major; as many as the shape holds.</param>
    /// <exception cref="ArgumentException">The counts differ.</exception>
    public FloatTensor(int[] shape, float[] data)
    {
        long n = ElementCount(shape);
        if (n != data.Length)
            throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {n} elements, got {data.Length}");
        Shape = shape;
        Data = data;
    }

    /// <summary>A tensor of zeros.</summary>
    /// <param name="shape">The dimensions.</param>
    public FloatTensor(params int[] shape) : this(shape, new float[ElementCount(shape)]) { }

    /// <summary>The number of axes.</summary>
    public int Rank => Shape.Length;
    /// <summary>The number of elements.</summary>
    public long Length => Data.Length;

    internal static long ElementCount(IReadOnlyList<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return n;
    }

    internal static string ShapeString(IEnumerable<long> shape) => "[" + string.Join("x", shape) + "]";
    /// <summary>The shape as text, e.g. "[1x3x224x224]".</summary>
    public string ShapeText => "[" + string.Join("x", Shape) + "]";
}
