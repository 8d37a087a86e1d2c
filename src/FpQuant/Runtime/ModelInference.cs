using System.Text.Json;
using FpQuant.Core;

namespace FpQuant.Runtime;

/// <summary>The infer verb: raw float32 files in, one raw file per output plus outputs.json out.</summary>
public static class ModelInference
{
    public static List<(string Name, int[] Shape)> Run(string modelPath, IReadOnlyList<string> inputSpecs, int batch, string outDir, RuntimeSettings settings)
    {
        if (batch <= 0) throw new FpQuantException($"--batch must be positive, got {batch}");
        var files = ParseInputs(inputSpecs);
        EnsureWritableFolder(outDir);
        using var runner = new ModelRunner(modelPath, settings);
        var feeds = new Dictionary<string, FloatTensor>();
        foreach (var (name, file) in files)
        {
            if (!runner.InputMetadata.TryGetValue(name, out var meta))
                throw new FpQuantException($"--input {name}: model '{modelPath}' has no input '{name}'; its inputs are {string.Join(", ", runner.InputNames)}");
            if (meta.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
                throw new FpQuantException($"--input {name}: the model expects {meta.ElementDataType}, infer feeds float32 only");
            // Dynamic dimensions (-1) take the batch size; the networks have exactly one, N.
            int[] shape = meta.Dimensions.Select(d => d < 0 ? batch : d).ToArray();
            long n = FloatTensor.ElementCount(shape);
            feeds[name] = new FloatTensor(shape, RawTensorFile.Read(file, n, name));
        }
        foreach (var name in runner.InputNames)
            if (!feeds.ContainsKey(name))
                throw new FpQuantException($"model '{modelPath}' needs input '{name}': add --input {name}=FILE.bin");
        var outputs = runner.Run(feeds);
        var listing = new List<object>();
        foreach (var (name, value) in outputs)
        {
            RawTensorFile.Write(Path.Combine(outDir, SafeFileName(name) + ".bin"), value.Data);
            listing.Add(new { name, file = SafeFileName(name) + ".bin", shape = value.Shape, dtype = "float32" });
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, "outputs.json"),
            JsonSerializer.Serialize(new { model = Path.GetFileName(modelPath), batch, outputs = listing }, new JsonSerializerOptions { WriteIndented = true }));
        return outputs.Select(o => (o.Name, o.Value.Shape)).ToList();
    }

    public static List<(string Name, string File)> ParseInputs(IReadOnlyList<string> specs)
    {
        var list = new List<(string, string)>();
        foreach (var s in specs)
        {
            int eq = s.IndexOf('=');
            if (eq <= 0 || eq == s.Length - 1)
                throw new FpQuantException($"--input '{s}' is not NAME=FILE.bin");
            string name = s[..eq], file = s[(eq + 1)..];
            if (list.Any(x => x.Item1 == name)) throw new FpQuantException($"--input {name} is given twice");
            list.Add((name, file));
        }
        return list;
    }

    public static void EnsureWritableFolder(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, $".fpquant-write-probe-{Environment.ProcessId}");
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new FpQuantException($"output folder '{dir}' is not writable ({e.Message}); pass a folder you can write with --out", e);
        }
    }

    private static string SafeFileName(string name) =>
        string.Concat(name.Select(ch => char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.' ? ch : '_'));
}
