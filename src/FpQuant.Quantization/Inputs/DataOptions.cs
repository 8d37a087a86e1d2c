using FpQuant.Quantization.Calibration;

namespace FpQuant.Inputs;

/// <summary>Everything a data spec (npy:, images:, text:, synthetic:, scene:) needs besides its own text.</summary>
public sealed record DataOptions
{
    public int BatchSize { get; init; } = CalibrationDefaults.BatchSize;
    public ImageOptions Image { get; init; } = new();
    public TextOptions Text { get; init; } = new();
}
