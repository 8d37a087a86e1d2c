namespace FpQuant.Quantization;

/// <summary>Scale and zero point of one tensor (one entry) or one per channel.</summary>
internal sealed record QuantParams(float[] Scale, int[] ZeroPoint, QuantType Type, int? Axis)
{
    public bool PerChannel => Axis != null;
    public static QuantParams PerTensor(float scale, int zp, QuantType type) =>
        new(new[] { scale }, new[] { zp }, type, null);
}
