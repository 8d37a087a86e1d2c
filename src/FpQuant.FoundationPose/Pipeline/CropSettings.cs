using FpQuant.Core;

namespace FpQuant.Pipeline;

/// <summary>
/// Crop sizes and thresholds for rendering and cropping (FoundationPose's refiner and scorer settings).
/// </summary>
internal sealed record CropSettings
{
    /// <summary>
    /// Window size as a multiple of the object's diameter (FoundationPose's refiner config uses 1.2).
    /// </summary>
    public double RefineCropRatio { get; init; } = 1.2;
    /// <summary>The scorer's window (its config uses 1.1).</summary>
    public double ScoreCropRatio { get; init; } = 1.1;

    public void Validate()
    {
        if (!(RefineCropRatio > 0) || !(ScoreCropRatio > 0))
            throw new FpQuantException($"crop ratios must be positive, got {RefineCropRatio} and {ScoreCropRatio}");
    }
}
