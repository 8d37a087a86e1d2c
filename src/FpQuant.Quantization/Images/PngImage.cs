namespace FpQuant.Images;

/// <summary>
/// A decoded PNG: samples per pixel after palette expansion (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), each sample
/// kept at its file precision (0..255 for 8-bit and lower depths, 0..65535 for 16-bit).
/// </summary>
internal sealed class PngImage
{
    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public int BitDepth { get; }
    public ushort[] Samples { get; }

    public PngImage(int width, int height, int channels, int bitDepth, ushort[] samples)
    {
        if ((long)width * height * channels != samples.Length)
            throw new ArgumentException($"{samples.Length} samples do not fill {width}x{height}x{channels}");
        Width = width; Height = height; Channels = channels; BitDepth = bitDepth; Samples = samples;
    }
}
