namespace FpQuant.Onnx;

/// <summary>A dimension of a graph input or output: a fixed size or a symbolic name such as "N".</summary>
internal readonly record struct Dim(long Value, string? Param)
{
    public static implicit operator Dim(long v) => new(v, null);
    public static implicit operator Dim(string p) => new(0, p);
}
