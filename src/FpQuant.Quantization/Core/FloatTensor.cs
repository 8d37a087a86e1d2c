namespace FpQuant.Core;

/// <summary>A dense row-major float32 tensor: the currency between weight sources, graph builders and the runtime.</summary>
public sealed class FloatTensor
{
    public int[] Shape { get; }
    public float[] Data { get; }

    public FloatTensor(int[] shape, float[] data)
    {
        long n = ElementCount(shape);
        if (n != data.Length)
            throw new ArgumentException($"shape [{string.Join(",", shape)}] needs {n} elements, got {data.Length}");
        Shape = shape;
        Data = data;
    }

    public FloatTensor(params int[] shape) : this(shape, new float[ElementCount(shape)]) { }

    public int Rank => Shape.Length;
    public long Length => Data.Length;

    public static long ElementCount(IReadOnlyList<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return n;
    }

    public static string ShapeString(IEnumerable<long> shape) => "[" + string.Join("x", shape) + "]";
    public string ShapeText => "[" + string.Join("x", Shape) + "]";
}
