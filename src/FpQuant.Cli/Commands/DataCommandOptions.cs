using System.CommandLine;
using System.Globalization;
using FpQuant.Core;
using FpQuant.Inputs;

namespace FpQuant.Cli.Commands;

/// <summary>The options that say how images and sentences become model inputs (images:DIR, text:FILE), shared by the
/// verbs that take --calibration or --evaluation.</summary>
internal sealed class DataCommandOptions
{
    public Option<string> ImageSize { get; } =
        new("--image-size") { Description = "images: WxH (or one number for square); default the model's input size" };
    public Option<string> ImageResize { get; } = new("--image-resize") { Description =
        "images: crop (scale to cover, centre-crop; default) or stretch", DefaultValueFactory = _ => "crop" };
    public Option<string> ImageChannels { get; } = new("--image-channels") { Description =
        "images: rgb (default) or bgr channel order", DefaultValueFactory = _ => "rgb" };
    public Option<double> ImageScale { get; } = new("--image-scale") { Description = "images: multiply 0..255 pixels " +
        "by this first (default 1/255; 1 keeps 0..255)", DefaultValueFactory = _ => 1.0 / 255 };
    public Option<string> ImageMean { get; } = new("--image-mean") { Description = "images: per-channel mean " +
        "subtracted after scaling, e.g. 0.485,0.456,0.406", DefaultValueFactory = _ => "0,0,0" };
    public Option<string> ImageStd { get; } = new("--image-std") { Description =
        "images: per-channel std divided by, e.g. 0.229,0.224,0.225", DefaultValueFactory = _ => "1,1,1" };
    public Option<string> ImageMeanImage { get; } = new("--image-mean-image") { Description = "images: a mean image " +
        "subtracted after scaling: a .npy of 3xHxW values in the model's layout, or an .onnx holding it as its one " +
        "initializer of that size (e.g. ResNetPreprocess.onnx)" };
    public Option<string> ImageLayout { get; } =
        new("--image-layout") { Description = "images: nchw or nhwc (default: the input's axis of 3 channels)" };
    public Option<string> Vocab { get; } =
        new("--vocab") { Description = "text: the model's WordPiece vocab.txt (default: vocab.txt beside the model)" };
    public Option<int> MaxLength { get; } = new("--max-length") { Description =
        "text: tokens per sentence at most, [CLS] and [SEP] included", DefaultValueFactory = _ => 128 };
    public Option<bool> Cased { get; } =
        new("--cased") { Description = "text: keep case (default: lower-case, as uncased BERT vocabularies need)" };

    public IEnumerable<Option> All => new Option[] { ImageSize, ImageResize, ImageChannels, ImageScale, ImageMean,
        ImageStd, ImageMeanImage, ImageLayout, Vocab, MaxLength, Cased };

    public void AddTo(Command cmd) { foreach (var o in All) cmd.Options.Add(o); }

    /// <summary>The input source <paramref name="spec"/> names (any kind, FoundationPose's included); an error names
    /// <paramref name="flag"/>, the option the user wrote it in.</summary>
    public static Quantization.Calibration.InputSource Source(string flag, string spec, DataOptions options)
    {
        try { return InputSpec.Parse(spec, options, Pipeline.FoundationPoseInputs.Kinds); }
        catch (FpQuantException e) { throw new FpQuantException($"{flag} {e.Message}", e); }
    }

    public DataOptions Parse(ParseResult p, int batch)
    {
        int? w = null, h = null;
        if (p.GetValue(ImageSize) is string size)
        {
            var parts = size.Split('x', 'X');
            if (parts.Length is < 1 or > 2 || !parts.All(s => int.TryParse(s, out int v) && v > 0))
                throw new FpQuantException($"--image-size '{size}': use WxH or N, e.g. 224x224");
            w = int.Parse(parts[0], CultureInfo.InvariantCulture);
            h = int.Parse(parts[^1], CultureInfo.InvariantCulture);
        }
        var image = new ImageOptions
        {
            Width = w, Height = h,
            Crop = p.GetValue(ImageResize)!.Trim().ToLowerInvariant() switch
            {
                "crop" => true, "stretch" => false,
                var x => throw new FpQuantException($"--image-resize '{x}': use crop or stretch"),
            },
            Bgr = p.GetValue(ImageChannels)!.Trim().ToLowerInvariant() switch
            {
                "rgb" => false, "bgr" => true,
                var x => throw new FpQuantException($"--image-channels '{x}': use rgb or bgr"),
            },
            Scale = (float)p.GetValue(ImageScale),
            Mean = Floats(p.GetValue(ImageMean)!, "--image-mean"),
            Std = Floats(p.GetValue(ImageStd)!, "--image-std"),
            MeanImage = p.GetValue(ImageMeanImage),
            Layout = p.GetValue(ImageLayout)?.Trim().ToLowerInvariant() switch
            {
                null => null, "nchw" => Inputs.ImageLayout.Nchw, "nhwc" => Inputs.ImageLayout.Nhwc,
                var x => throw new FpQuantException($"--image-layout '{x}': use nchw or nhwc"),
            },
        };
        image.Check();
        var text = new TextOptions { Vocab = p.GetValue(Vocab), MaxLength = p.GetValue(MaxLength),
            Lowercase = !p.GetValue(Cased) };
        return new DataOptions { BatchSize = batch, Image = image, Text = text };
    }

    private static float[] Floats(string s, string option)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])
                || !float.IsFinite(values[i]))
                throw new FpQuantException($"{option} '{s}': use three numbers, e.g. 0.485,0.456,0.406");
        return values;
    }
}
