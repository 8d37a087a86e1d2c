namespace FpQuant.Images;

/// <summary>What a PNG may claim before the decoder allocates for it.</summary>
internal sealed record PngLimits
{
    /// <summary>
    /// Width x height at most (default 2^26 = 8192 x 8192; camera frames and textures are far smaller).
    /// </summary>
    public long MaxPixels { get; init; } = 1L << 26;

    /// <summary>zlib expands at most about 1032:1; image data claiming more than this many bytes per compressed byte
    /// is refused before its buffer is allocated.</summary>
    public const long MaxInflateRatio = 1040;

    public static PngLimits Default { get; } = new();
}
