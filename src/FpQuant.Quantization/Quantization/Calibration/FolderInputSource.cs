using FpQuant.Core;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// A folder of raw float32 files named PREFIX.INPUT.bin (e.g. 0001.A.bin and 0001.B.bin): every prefix that has
/// a file for each model input is one batch; the batch size follows from the file size.
/// </summary>
internal sealed class FolderInputSource : InputSource
{
    public string Folder { get; }
    public FolderInputSource(string folder) { Folder = folder; }
    public override string Description => $"folder {Folder}";

    internal override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource)
    {
        if (!Directory.Exists(Folder))
            throw new FpQuantException($"calibration folder '{Folder}' does not exist");
        var inputs = ModelInput.Of(model, modelSource);
        var prefixes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(Folder, "*.bin"))
        {
            string name = Path.GetFileName(f);
            foreach (var i in inputs)
                if (name.EndsWith($".{i.Name}.bin", StringComparison.Ordinal))
                    prefixes.Add(name[..^($".{i.Name}.bin".Length)]);
        }
        var complete =
            prefixes.Where(p => inputs.All(i => File.Exists(Path.Combine(Folder, $"{p}.{i.Name}.bin")))).ToList();
        if (complete.Count == 0)
            throw new FpQuantException($"calibration folder '{Folder}' has no complete input set: expected files " +
                $"PREFIX.{string.Join(".bin, PREFIX.", inputs.Select(i => i.Name))}.bin");
        foreach (var p in complete)
        {
            var batch = new Dictionary<string, InputTensor>();
            foreach (var i in inputs)
            {
                string file = Path.Combine(Folder, $"{p}.{i.Name}.bin");
                if (i.Element != InputElementType.Float)
                    throw new FpQuantException($"calibration folder '{Folder}': input '{i.Name}' is {i.Describe()}, " +
                        $"but raw .bin files are float32 only; use npy:DIR for this model");
                var item = i.Dims.Skip(1).Select(d => (int)Math.Max(d, 1)).ToArray();
                long perItem = item.Aggregate(1L, (a, d) => a * d);
                long bytes = new FileInfo(file).Length;
                if (bytes % (perItem * 4) != 0)
                    throw new FpQuantException($"calibration file '{file}' has {bytes} bytes, not a whole number of " +
                        $"{FloatTensor.ShapeString(item.Select(d => (long)d))} float32 items for input '{i.Name}'");
                int n = (int)(bytes / (perItem * 4));
                batch[i.Name] =
                    new InputTensor(new[] { n }.Concat(item).ToArray(), RawTensorFile.Read(file, n * perItem, i.Name));
            }
            yield return batch;
        }
    }
}
