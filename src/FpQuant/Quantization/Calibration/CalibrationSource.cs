using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>Batches of model inputs for calibration: the synthetic crop generator or a folder of .bin files.</summary>
public abstract class CalibrationSource
{
    public abstract string Description { get; }
    public abstract IEnumerable<Dictionary<string, FloatTensor>> Batches(ModelProto model, string modelSource);

    /// <summary>Refuses NaN or infinite calibration values, naming the input and batch.</summary>
    public static void CheckFinite(Dictionary<string, FloatTensor> batch, string where)
    {
        foreach (var (name, t) in batch)
            for (int i = 0; i < t.Data.Length; i++)
                if (!float.IsFinite(t.Data[i]))
                    throw new FpQuantException($"calibration input '{name}' ({where}) holds {(float.IsNaN(t.Data[i]) ? "NaN" : "an infinite value")} at element {i}; calibration data must be finite: fix or drop that input");
    }
}

/// <summary>Structured synthetic crop pairs (objects on a background), fed in the model's own layout.</summary>
public sealed class SyntheticCalibrationSource : CalibrationSource
{
    public int Pairs { get; }
    public ulong Seed { get; }
    public int BatchSize { get; }

    public SyntheticCalibrationSource(int pairs, ulong seed, int batchSize = 8)
    {
        if (pairs <= 0) throw new FpQuantException($"--calibration-count must be positive, got {pairs}");
        if (batchSize <= 0) throw new FpQuantException($"--calibration-batch must be positive, got {batchSize}");
        Pairs = pairs; Seed = seed; BatchSize = batchSize;
    }

    public override string Description => $"synthetic crops: {Pairs} pairs, seed {Seed}, batches of {BatchSize}";

    public override IEnumerable<Dictionary<string, FloatTensor>> Batches(ModelProto model, string modelSource)
    {
        var sig = ModelSignature.Of(model, modelSource);
        for (int start = 0, b = 0; start < Pairs; start += BatchSize, b++)
        {
            int n = Math.Min(BatchSize, Pairs - start);
            var (r, o) = SyntheticCrops.Generate(n, Seed * 1_000_003UL + (ulong)b);
            yield return new Dictionary<string, FloatTensor>
            {
                [sig.RenderedInput] = sig.Layout == Networks.ModelLayout.Nchw ? r : CropLayout.NchwToNhwc(r),
                [sig.ObservedInput] = sig.Layout == Networks.ModelLayout.Nchw ? o : CropLayout.NchwToNhwc(o),
            };
        }
    }
}

/// <summary>
/// A folder of raw float32 files named PREFIX.INPUT.bin (e.g. 0001.A.bin and 0001.B.bin): every prefix that has
/// a file for each model input is one batch; the batch size follows from the file size.
/// </summary>
public sealed class FolderCalibrationSource : CalibrationSource
{
    public string Folder { get; }
    public FolderCalibrationSource(string folder) { Folder = folder; }
    public override string Description => $"folder {Folder}";

    public override IEnumerable<Dictionary<string, FloatTensor>> Batches(ModelProto model, string modelSource)
    {
        if (!Directory.Exists(Folder))
            throw new FpQuantException($"calibration folder '{Folder}' does not exist");
        var init = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name));
        var inputs = model.Graph.Input.Where(i => !init.Contains(i.Name)).ToList();
        var prefixes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(Folder, "*.bin"))
        {
            string name = Path.GetFileName(f);
            foreach (var i in inputs)
                if (name.EndsWith($".{i.Name}.bin", StringComparison.Ordinal))
                    prefixes.Add(name[..^($".{i.Name}.bin".Length)]);
        }
        var complete = prefixes.Where(p => inputs.All(i => File.Exists(Path.Combine(Folder, $"{p}.{i.Name}.bin")))).ToList();
        if (complete.Count == 0)
            throw new FpQuantException($"calibration folder '{Folder}' has no complete input set: expected files PREFIX.{string.Join(".bin, PREFIX.", inputs.Select(i => i.Name))}.bin");
        foreach (var p in complete)
        {
            var batch = new Dictionary<string, FloatTensor>();
            foreach (var i in inputs)
            {
                string file = Path.Combine(Folder, $"{p}.{i.Name}.bin");
                var dims = i.Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray();
                long perItem = dims.Skip(1).Aggregate(1L, (a, d) => a * Math.Max(d, 1));
                long bytes = new FileInfo(file).Length;
                if (bytes % (perItem * 4) != 0)
                    throw new FpQuantException($"calibration file '{file}' has {bytes} bytes, not a whole number of {FloatTensor.ShapeString(dims.Skip(1))} float32 items for input '{i.Name}'");
                int n = (int)(bytes / (perItem * 4));
                var shape = new[] { n }.Concat(dims.Skip(1).Select(d => (int)d)).ToArray();
                batch[i.Name] = new FloatTensor(shape, RawTensorFile.Read(file, n * perItem, i.Name));
            }
            yield return batch;
        }
    }
}

/// <summary>Batches already in memory (library callers with their own data, and tests).</summary>
public sealed class InMemoryCalibrationSource : CalibrationSource
{
    private readonly IReadOnlyList<Dictionary<string, FloatTensor>> _batches;
    public InMemoryCalibrationSource(IReadOnlyList<Dictionary<string, FloatTensor>> batches) { _batches = batches; }
    public override string Description => $"{_batches.Count} in-memory batch(es)";
    public override IEnumerable<Dictionary<string, FloatTensor>> Batches(ModelProto model, string modelSource) => _batches;
}
