using System.Text.Json;
using FpQuant.Core;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FpQuant.Runtime;

/// <summary>The infer verb: .npy or raw float32 files in, one file per output plus outputs.json out.</summary>
internal static class ModelInference
{
    /// <summary>
    /// Runs <paramref name="modelPath"/> on the given files: NAME=FILE.npy (any numeric or bool element type,
    /// converted to what the input needs: float files for float inputs, integer and bool files for integer and bool
    /// inputs; the batch is the file's axis 0) or NAME=FILE.bin (raw float32, <paramref name="batch"/> samples;
    /// dynamic axes take the batch size). A model without inputs runs on nothing. Every output goes to NAME.bin (raw
    /// little-endian, in the type outputs.json names) or NAME.npy with <paramref name="npyOutputs"/>, in its own type.
    /// </summary>
    public static List<(string Name, int[] Shape)> Run(string modelPath, IReadOnlyList<string> inputSpecs, int batch,
        string outDir, RuntimeSettings settings, bool npyOutputs = false)
    {
        var files = ParseInputs(inputSpecs);
        if (batch <= 0 && files.Any(f => !IsNpy(f.File)))
            throw new FpQuantException($"batch must be positive, got {batch}");
        EnsureWritableFolder(outDir);
        using var runner = new ModelRunner(modelPath, settings);
        var feeds = new Dictionary<string, InputTensor>();
        foreach (var (name, file) in files)
        {
            if (!runner.InputMetadata.TryGetValue(name, out var meta))
                throw new FpQuantException($"input file for '{name}': model '{modelPath}' has no input '{name}'; its " +
                    $"inputs are {string.Join(", ", runner.InputNames)}");
            feeds[name] = IsNpy(file) ? ReadNpy(name, file, meta) : ReadBin(name, file, meta, batch);
        }
        foreach (var name in runner.InputNames)
            if (!feeds.ContainsKey(name))
                throw new FpQuantException($"model '{modelPath}' needs input '{name}': give it as {name}=FILE.npy or " +
                    $"{name}=FILE.bin");
        var outputs = runner.RunAll(feeds);
        var listing = new List<object>();
        var fileNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in outputs)
        {
            string stem = SafeFileName(name), fileName = stem + (npyOutputs ? ".npy" : ".bin");
            // Two names that differ only in characters a file name cannot hold still get a file each.
            for (int k = 2; !fileNames.Add(fileName); k++) fileName = $"{stem}_{k}" + (npyOutputs ? ".npy" : ".bin");
            if (npyOutputs) NpyFile.Write(Path.Combine(outDir, fileName), value);
            else AtomicFile.WriteAllBytes(Path.Combine(outDir, fileName), value.Bytes);
            // bfloat16 has no NumPy type: its .npy holds the same values widened to float32.
            string dtype = npyOutputs && value.ElementType == InputElementType.BFloat16 ? "float32" : value.TypeName;
            listing.Add(new { name, file = fileName, shape = value.Shape, dtype, modelType = value.TypeName });
        }
        int samples = feeds.Values.Select(t => t.Samples).DefaultIfEmpty(batch).First();
        AtomicFile.WriteAllText(Path.Combine(outDir, "outputs.json"),
            JsonSerializer.Serialize(new { model = Path.GetFileName(modelPath), batch = samples, outputs = listing },
                ReportJson.Indented));
        return outputs.Select(o => (o.Name, o.Value.Shape)).ToList();
    }

    private static bool IsNpy(string file) => file.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);

    private static string Describe(Microsoft.ML.OnnxRuntime.NodeMetadata meta) =>
        $"{OrtElementTypes.Name(meta.ElementDataType)} [{string.Join(" x ", meta.Dimensions.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";

    private static InputTensor ReadBin(string name, string file, Microsoft.ML.OnnxRuntime.NodeMetadata meta, int batch)
    {
        if (meta.ElementDataType != TensorElementType.Float)
            throw new FpQuantException($"{name}={file}: input '{name}' is {Describe(meta)}; raw .bin files are " +
                $"float32 only: give a .npy file");
        // Dynamic dimensions (-1) take the batch size; the networks have exactly one, N.
        int[] shape = meta.Dimensions.Select(d => d < 0 ? batch : d).ToArray();
        return new InputTensor(shape, RawTensorFile.Read(file, FloatTensor.ElementCount(shape), name));
    }

    private static InputTensor ReadNpy(string name, string file, Microsoft.ML.OnnxRuntime.NodeMetadata meta)
    {
        if (!meta.IsTensor)
            throw new FpQuantException($"input file for '{name}': input '{name}' is " +
                $"{OrtElementTypes.KindOf(meta.OnnxValueType)}, not a tensor; fpquant feeds tensor inputs only");
        if (OrtElementTypes.From(meta.ElementDataType) is not InputElementType type)
            throw new FpQuantException($"input file for '{name}': input '{name}' is {Describe(meta)}; fpquant feeds " +
                $"numeric and bool inputs (bool, int8-64, uint8-64, float16, bfloat16, float32, float64)");
        var h = NpyFile.ReadHeader(file);
        var dims = meta.Dimensions;
        bool fits = h.Shape.Length == dims.Length && dims.Select((d, i) => d < 0 || d == h.Shape[i]).All(x => x);
        if (!fits)
            throw new FpQuantException($"{name}={file}: the file has shape {h.ShapeText} but input '{name}' is " +
                $"{Describe(meta)}");
        return NpyFile.ReadTensor(file, type, $"input '{name}' ({Describe(meta)})");
    }

    public static List<(string Name, string File)> ParseInputs(IReadOnlyList<string> specs)
    {
        var list = new List<(string, string)>();
        foreach (var s in specs)
        {
            int eq = s.IndexOf('=');
            if (eq <= 0 || eq == s.Length - 1)
                throw new FpQuantException($"input '{s}' is not NAME=FILE.npy or NAME=FILE.bin");
            string name = s[..eq], file = s[(eq + 1)..];
            if (list.Any(x => x.Item1 == name)) throw new FpQuantException($"input '{name}' is given twice");
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
            throw new FpQuantException(
                $"output folder '{dir}' is not writable ({e.Message}); pass a folder you can write", e);
        }
    }

    private static string SafeFileName(string name) =>
        string.Concat(name.Select(ch => char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.' ? ch : '_'));
}
