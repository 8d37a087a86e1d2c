using FpQuant.Core;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// A folder with one NumPy .npy file per model input, named INPUT.npy (characters a file name cannot hold, such as
/// '/' and ':', written '_'), samples on axis 0. Float files feed float inputs (float16, bfloat16, float32, float64);
/// integer and bool files feed integer and bool inputs. Every file is checked against its input (rank, fixed axes,
/// element kind, sample count) before anything is read.
/// </summary>
internal sealed class NpyInputSource : InputSource
{
    public string Folder { get; }
    /// <summary>At most this many samples (all when null).</summary>
    public int? Count { get; }
    public int BatchSize { get; }

    public NpyInputSource(string folder, int? count = null, int batchSize = CalibrationDefaults.BatchSize)
    {
        if (count is <= 0) throw new FpQuantException($"npy:{folder}: the sample count must be positive, got {count}");
        if (batchSize <= 0) throw new FpQuantException($"batchSize must be positive, got {batchSize}");
        Folder = folder; Count = count; BatchSize = batchSize;
    }

    public override string Description =>
        $"npy:{Folder}" + (Count is int c ? $" (first {c} samples)" : "") + $", batches of up to {BatchSize}";

    public static string FileNameFor(string inputName) =>
        string.Concat(inputName.Select(ch => Path.GetInvalidFileNameChars().Contains(ch) || ch is ':' or '\\'
            or '/' ? '_' : ch)) + ".npy";

    /// <summary>Each input's file and header, checked; and the number of samples the varying inputs share.
    /// An input whose file holds exactly one feed of a fully fixed shape (a constant operand, a scalar) is fed
    /// whole with every batch, so its count need not match the others'.</summary>
    public (List<(ModelInput Input, string File, NpyHeader Header, bool Whole)> Files,
        long Samples) Check(IReadOnlyList<ModelInput> inputs)
    {
        if (!Directory.Exists(Folder))
            throw new FpQuantException($"npy:{Folder}: the folder does not exist");
        string Expected(ModelInput i) => $"{FileNameFor(i.Name)} ({i.Describe()}, samples on axis 0)";
        if (!Directory.EnumerateFiles(Folder, "*.npy").Any())
            throw new FpQuantException($"npy:{Folder}: the folder holds no .npy files; expected one per model input: " +
                $"{string.Join(", ", inputs.Select(Expected))}");
        var files = new List<(ModelInput, string, NpyHeader, bool)>();
        long samples = -1;
        string? first = null;
        foreach (var input in inputs)
        {
            string file = Path.Combine(Folder, FileNameFor(input.Name));
            if (!File.Exists(file))
                throw new FpQuantException($"npy:{Folder}: missing '{file}' for input '{input.Name}' (expected " +
                    $"{input.Describe()}, samples on axis 0)");
            var h = NpyFile.ReadHeader(file);
            if (h.IsFloat == input.IsInteger)
                throw new FpQuantException($"'{file}' holds {h.DescrText} but input '{input.Name}' is " +
                    $"{input.Describe()}: write {(input.IsInteger ? "integer or bool" : "floating-point")} values");
            bool shapeFits = h.Shape.Length == input.Rank
                && Enumerable.Range(1, Math.Max(0, input.Rank - 1))
                    .All(a => input.Dims[a] <= 0 || input.Dims[a] == h.Shape[a]);
            if (!shapeFits)
                throw new FpQuantException($"'{file}' has shape {h.ShapeText} but input '{input.Name}' is " +
                    $"{input.Describe()} (samples on axis 0)");
            if (h.SampleCount == 0)
                throw new FpQuantException($"'{file}' holds no samples (shape {h.ShapeText}) for input " +
                    $"'{input.Name}' ({input.Describe()})");
            h.TensorShape(file, h.SampleCount);
            bool whole = input.Rank == 0 || (input.Dims.All(d => d > 0) && h.SampleCount == input.Dims[0]);
            files.Add((input, file, h, whole));
        }
        // With every input whole, the folder is one batch.
        if (files.All(f => f.Item4)) return (files, 1);
        foreach (var (input, file, h, whole) in files)
        {
            if (whole) continue;
            if (samples >= 0 && h.SampleCount != samples)
                throw new FpQuantException($"'{file}' holds {h.SampleCount} samples but '{first}' holds {samples}: " +
                    $"every input file that is not one whole fixed-shape feed needs the same number on axis 0");
            samples = h.SampleCount; first ??= file;
        }
        return (files, Count is int c ? Math.Min(c, samples) : samples);
    }

    internal override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource)
    {
        var inputs = ModelInput.Of(model, modelSource);
        var (files, samples) = Check(inputs);
        var varying = files.Where(f => !f.Whole).Select(f => f.Input).ToList();
        var wholeFeeds = files.Where(f => f.Whole).ToDictionary(f => f.Input.Name,
            f => NpyFile.ReadTensor(f.File, f.Input.Element, $"input '{f.Input.Name}' ({f.Input.Describe()})"),
            StringComparer.Ordinal);
        if (varying.Count == 0)
        {
            yield return new Dictionary<string, InputTensor>(wholeFeeds, StringComparer.Ordinal);
            yield break;
        }
        int batch = ModelInput.BatchSize(varying, BatchSize, modelSource);
        for (long start = 0; start + (varying.Any(i => i.FixedBatch != null) ? batch : 1) <= samples; start += batch)
        {
            int n = (int)Math.Min(batch, samples - start);
            var feeds = new Dictionary<string, InputTensor>(wholeFeeds, StringComparer.Ordinal);
            foreach (var (input, file, _, whole) in files)
                if (!whole)
                    feeds[input.Name] =
                        NpyFile.ReadTensor(file, input.Element, $"input '{input.Name}' ({input.Describe()})", start, n);
            yield return feeds;
        }
    }
}
