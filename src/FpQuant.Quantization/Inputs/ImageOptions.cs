using FpQuant.Core;

namespace FpQuant.Inputs;

/// <summary>
/// How photos become an image model's input: value = (pixel * Scale - Mean[c] - MeanImage[c,y,x]) / Std[c], pixels
/// 0..255 in the channel order given, at the model's size (or Width x Height), centre-cropped or stretched, in the
/// model's layout (or the one given). ResNet-18 of Microsoft.ML.DnnImageFeaturizer.ResNet18 wants Scale 1, BGR, and
/// the mean image of its ResNetPreprocess.onnx (pass that file as MeanImage).
/// </summary>
public sealed record ImageOptions
{
    /// <summary>The width to resize to; null for the model's own.</summary>
    public int? Width { get; init; }
    /// <summary>The height to resize to; null for the model's own.</summary>
    public int? Height { get; init; }
    /// <summary>Scale to cover and centre-crop (true), or stretch to the size (false).</summary>
    public bool Crop { get; init; } = true;
    /// <summary>Channels in B, G, R order rather than R, G, B.</summary>
    public bool Bgr { get; init; }
    /// <summary>What a 0..255 pixel is multiplied by first (1/255 by default).</summary>
    public float Scale { get; init; } = 1f / 255f;
    /// <summary>Per-channel value subtracted after scaling.</summary>
    public IReadOnlyList<float> Mean { get; init; } = new float[] { 0, 0, 0 };
    /// <summary>Per-channel divisor applied last.</summary>
    public IReadOnlyList<float> Std { get; init; } = new float[] { 1, 1, 1 };
    /// <summary>
    /// A .npy of C*H*W values in the model's layout, or an .onnx whose one float initializer of that size is it.
    /// </summary>
    public string? MeanImage { get; init; }
    /// <summary>The layout; null for the one the model's input shape implies.</summary>
    public ImageLayout? Layout { get; init; }

    internal void Check()
    {
        if (Mean.Count != 3)
            throw new FpQuantException($"ImageOptions.Mean needs 3 values (one per channel), got {Mean.Count}");
        if (Std.Count != 3)
            throw new FpQuantException($"ImageOptions.Std needs 3 values (one per channel), got {Std.Count}");
        if (Std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new FpQuantException($"ImageOptions.Std values must be positive, got {string.Join(",", Std)}");
        if (!(Scale > 0) || !float.IsFinite(Scale))
            throw new FpQuantException($"ImageOptions.Scale must be positive, got {Scale}");
        if (Width is <= 0 || Height is <= 0)
            throw new FpQuantException($"ImageOptions.Width/Height must be positive, got {Width}x{Height}");
    }
}
