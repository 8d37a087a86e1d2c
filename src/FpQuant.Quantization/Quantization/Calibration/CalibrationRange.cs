namespace FpQuant.Quantization.Calibration;

/// <summary>The float interval a tensor's quantization must cover, as calibration chose it.</summary>
internal sealed record CalibrationRange(float Min, float Max)
{
    /// <summary>What the data actually reached (before percentile, entropy or L2 clipping).</summary>
    public float ObservedMin { get; init; } = Min;
    public float ObservedMax { get; init; } = Max;
}
