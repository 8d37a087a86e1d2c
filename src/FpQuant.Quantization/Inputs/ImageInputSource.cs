using System.Globalization;
using FpQuant.Core;
using FpQuant.Images;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using Onnx;

namespace FpQuant.Inputs;

/// <summary>
/// A folder of photos (PNG/JPEG, sorted by name) for a model with one float image input of 3 channels, prepared as
/// <see cref="ImageOptions"/> says. One sample per image.
/// </summary>
internal sealed class ImageInputSource : InputSource
{
    public string Folder { get; }
    public int? Count { get; }
    public ImageOptions Options { get; }
    public int BatchSize { get; }

    public ImageInputSource(string folder, int? count, ImageOptions options,
        int batchSize = CalibrationDefaults.BatchSize)
    {
        if (count is <= 0)
            throw new FpQuantException($"images:{folder}: the image count must be positive, got {count}");
        if (batchSize <= 0) throw new FpQuantException($"batchSize must be positive, got {batchSize}");
        options.Check();
        Folder = folder; Count = count; Options = options; BatchSize = batchSize;
    }

    public override string Description =>
        $"images:{Folder}" + (Count is int c ? $" (first {c})" : "") + $", " +
            $"{(Options.Crop ? "centre-cropped" : "stretched")}, {(Options.Bgr ? "BGR" : "RGB")}, "
        + string.Create(CultureInfo.InvariantCulture,
            $"scale {Options.Scale:G4}, mean {Floats(Options.Mean)}, std {Floats(Options.Std)}")
        + (Options.MeanImage != null ? $", mean image {Path.GetFileName(Options.MeanImage)}" : "");

    private static string Floats(IEnumerable<float> values) =>
        string.Join("/", values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The image files used, in order.</summary>
    public List<string> Files()
    {
        if (!Directory.Exists(Folder)) throw new FpQuantException($"images:{Folder}: the folder does not exist");
        var files = Directory.EnumerateFiles(Folder)
            .Where(f => ImageFile.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        return Count is int c ? files.Take(c).ToList() : files;
    }

    internal override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource)
    {
        var inputs = ModelInput.Of(model, modelSource);
        if (inputs.Count != 1 || inputs[0].Element != InputElementType.Float || inputs[0].Rank != 4)
            throw new FpQuantException($"images:{Folder}: {modelSource} needs " +
                $"{string.Join(", ", inputs.Select(i => $"'{i.Name}' {i.Describe()}"))}; images feed a model with " +
                $"one float [N x 3 x H x W] or [N x H x W x 3] input (use npy:DIR for others)");
        var input = inputs[0];
        var layout = Options.Layout ?? (input.Dims[1] == 3 ? ImageLayout.Nchw : input.Dims[3] == 3 ? ImageLayout.Nhwc
            : throw new FpQuantException($"images:{Folder}: input '{input.Name}' is {input.Describe()}, with no axis " +
                $"of 3 channels at 1 (NCHW) or 3 (NHWC); give ImageOptions.Layout"));
        int hAxis = layout == ImageLayout.Nchw ? 2 : 1, wAxis = hAxis + 1, cAxis = layout == ImageLayout.Nchw ? 1 : 3;
        if (input.Dims[cAxis] > 0 && input.Dims[cAxis] != 3)
            throw new FpQuantException($"images:{Folder}: input '{input.Name}' is {input.Describe()}: not 3 channels " +
                $"in {layout} layout");
        int height = Options.Height
            ?? (input.Dims[hAxis] > 0 ? (int)input.Dims[hAxis]
                : throw new FpQuantException($"images:{Folder}: input '{input.Name}' is {input.Describe()} with no " +
                    $"fixed size; give ImageOptions.Width/Height"));
        int width = Options.Width ?? (input.Dims[wAxis] > 0 ? (int)input.Dims[wAxis] : height);
        if ((input.Dims[hAxis] > 0 && input.Dims[hAxis] != height)
            || (input.Dims[wAxis] > 0 && input.Dims[wAxis] != width))
            throw new FpQuantException($"images:{Folder}: ImageOptions.Width/Height {width}x{height} does not fit " +
                $"input '{input.Name}' {input.Describe()}");
        var files = Files();
        if (files.Count == 0)
            throw new FpQuantException($"images:{Folder}: no .png, .jpg or .jpeg files for input '{input.Name}' " +
                $"({input.Describe()})");
        float[]? meanImage = Options.MeanImage == null ? null
            : LoadMeanImage(Options.MeanImage, 3 * height * width, input);
        int batch = ModelInput.BatchSize(inputs, BatchSize, modelSource);
        for (int start = 0; start + (input.FixedBatch != null ? batch : 1) <= files.Count; start += batch)
        {
            int n = Math.Min(batch, files.Count - start);
            var data = new float[(long)n * 3 * height * width];
            for (int k = 0; k < n; k++)
            {
                var rgb = ImageFile.LoadRgb(files[start + k], width, height, Options.Crop);
                int plane = height * width;
                for (int p = 0; p < plane; p++)
                    for (int c = 0; c < 3; c++)
                    {
                        int src = Options.Bgr ? 2 - c : c;
                        int at = layout == ImageLayout.Nchw ? c * plane + p : p * 3 + c;
                        float v = rgb[3 * p + src] * Options.Scale - Options.Mean[c] - (meanImage?[at] ?? 0);
                        data[(long)k * 3 * plane + at] = v / Options.Std[c];
                    }
            }
            var shape = layout == ImageLayout.Nchw ? new[] { n, 3, height, width } : new[] { n, height, width, 3 };
            yield return new Dictionary<string, InputTensor> { [input.Name] = new FloatTensor(shape, data) };
        }
    }

    /// <summary>
    /// The mean image: a .npy of <paramref name="count"/> values, or the one float initializer of that size in an
    /// .onnx.
    /// </summary>
    public static float[] LoadMeanImage(string path, int count, ModelInput input)
    {
        if (!File.Exists(path)) throw new FpQuantException($"ImageOptions.MeanImage '{path}' does not exist");
        float[] values;
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            var m = OnnxModelFile.Load(path);
            var found = m.Graph.Initializer.Where(i => i.DataType == (int)TensorProto.Types.DataType.Float
                && i.Dims.Aggregate(1L, (a, d) => a * d) == count).ToList();
            if (found.Count != 1)
                throw new FpQuantException($"ImageOptions.MeanImage '{path}' has {found.Count} float initializers of " +
                    $"{count} values; expected exactly one (the mean image for input '{input.Name}')");
            values = TensorProtos.ToFloats(found[0]);
        }
        else
        {
            values = NpyFile.ReadFloat32(path);
            if (values.Length != count)
                throw new FpQuantException($"ImageOptions.MeanImage '{path}' holds {values.Length} values; input " +
                    $"'{input.Name}' ({input.Describe()}) needs {count} (3 x H x W in the model's layout)");
        }
        return values;
    }
}
