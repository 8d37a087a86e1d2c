namespace FpQuant.Quantization.Calibration;

/// <summary>The float interval a tensor's quantization must cover, as calibration chose it.</summary>
/// <param name="Min">The range's low end.</param>
/// <param name="Max">The range's high end.</param>
public sealed record CalibrationRange(float Min, float Max)
{
    /// <summary>What the data actually reached (before percentile, entropy or L2 clipping).</summary>
    public float ObservedMin { get; init; } = Min;
    /// <summary>The largest value the data reached.</summary>
    public float ObservedMax { get; init; } = Max;
}
