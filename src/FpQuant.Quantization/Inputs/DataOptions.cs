using FpQuant.Quantization.Calibration;

namespace FpQuant.Inputs;

/// <summary>Everything a data spec (npy:, images:, text:, synthetic:, scene:) needs besides its own text.</summary>
public sealed record DataOptions
{
    /// <summary>Samples per batch (a model that fixes its batch size gets that size).</summary>
    public int BatchSize { get; init; } = CalibrationDefaults.BatchSize;
    /// <summary>How images become inputs (images: sources).</summary>
    public ImageOptions Image { get; init; } = new();
    /// <summary>How sentences become inputs (text: sources).</summary>
    public TextOptions Text { get; init; } = new();
}
