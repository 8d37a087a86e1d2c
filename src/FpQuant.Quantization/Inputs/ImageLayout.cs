namespace FpQuant.Inputs;

/// <summary>Where an image model wants its channels: NCHW (channels second) or NHWC (channels last).</summary>
public enum ImageLayout
{
    /// <summary>Batch, channels, height, width.</summary>
    Nchw,
    /// <summary>Batch, height, width, channels.</summary>
    Nhwc,
}
