using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Pipeline;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;

namespace FpQuant.Variants;

/// <summary>
/// Makes the model files a run's variants need (bench, eval, track): the fp32 export and each preset's quantized
/// copy. Quantized models are cached by the hash of their inputs (deterministic output makes this safe), so repeated
/// runs skip calibration.
/// </summary>
internal sealed class BenchModelStore
{
    private readonly string _cacheDir;
    private readonly RuntimeSettings _settings;
    /// <summary>Data for static presets; part of each quantized model's cache key.</summary>
    public InputSource Calibration { get; set; }

    /// <summary>Makes <see cref="Calibration"/> from the float refiner's path, once, when the first quantized variant
    /// needs it (null: keep <see cref="Calibration"/>).</summary>
    public Func<string, InputSource>? CalibrationFor { get; set; }

    /// <param name="calibration">Data for static presets (default: synthetic crops, calibrationPairs of them).</param>
    public BenchModelStore(string cacheDir, RuntimeSettings settings, int calibrationPairs,
        InputSource? calibration = null)
    {
        _cacheDir = cacheDir;
        _settings = settings;
        Calibration = calibration ?? new SyntheticInputSource(calibrationPairs, 0, CalibrationDefaults.BatchSize);
        try { Directory.CreateDirectory(cacheDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"model cache folder '{cacheDir}' cannot be created ({e.Message}); pass a " +
                $"writable folder as CacheDir", e);
        }
    }

    public string Float(NetworkKind kind, string weights)
    {
        weights = WeightSource.ForNetwork(kind, weights);
        string path = Path.Combine(_cacheDir,
            $"fp32-{kind.Id()}-{Hash(weights + ToolInfo.Version + FingerprintOf(weights))[..12]}.onnx");
        if (!File.Exists(path))
        {
            NetworkExport.Export(kind, weights, ModelLayout.Nchw, path);
            // The export's model and weights are garbage now: handed back before the next, larger step starts.
            ProcessMemory.Trim();
        }
        return path;
    }

    /// <summary>
    /// Returns the quantized model's path and the seconds quantization took (0 when cached... as recorded).
    /// </summary>
    public (string Path, double Seconds) Quantized(string floatPath, VariantSpec v)
    {
        // Resolved first: with reduce-range on auto, the same recipe quantizes differently on another machine or
        // provider.
        var o = v.Options!.WithResolvedReduceRange(_settings.Provider);
        var calib = Calibration;
        string key = QuantizedKey(HashFile(floatPath), o, calib.Description, _settings.Provider,
            CpuFeatures.HasVnni);
        string path = Path.Combine(_cacheDir, $"{v.Name}-{Path.GetFileNameWithoutExtension(floatPath)}-{key}.onnx");
        string meta = path + ".seconds";
        if (File.Exists(path) && File.Exists(meta))
            return (path, double.Parse(File.ReadAllText(meta), System.Globalization.CultureInfo.InvariantCulture));
        double seconds = QuantizeAndSave(floatPath, o, v.Name, calib, path);
        // The quantizer's graph copies and its float and calibration sessions: handed back before the next model.
        ProcessMemory.Trim();
        AtomicFile.WriteAllText(meta, seconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        return (path, seconds);
    }

    /// <summary>Quantizes and writes one model; returns the seconds quantization took. Nothing it made outlives
    /// it.</summary>
    private double QuantizeAndSave(string floatPath, QuantizationOptions o, string name, InputSource calib,
        string path)
    {
        var model = OnnxModelFile.Load(floatPath);
        var r = ModelQuantizer.Quantize(model, floatPath, o, name, o.NeedsCalibration ? calib : null, _settings);
        ModelQuantizer.Save(r, path, floatPath);
        return r.Elapsed.TotalSeconds;
    }

    /// <summary>The model files of variant <paramref name="v"/>: its own two files (checked), the fp32 export of
    /// <paramref name="weights"/>, or that export's quantized copies, with the seconds quantization took.</summary>
    public (string Refine, string Score, double QuantizeSeconds) ModelsFor(VariantSpec v, string weights)
    {
        if (v.RefinePath != null)
        {
            foreach (var f in new[] { v.RefinePath, v.ScorePath! })
                if (!File.Exists(f)) throw new FpQuantException($"variant {v.Name}: model file '{f}' does not exist");
            return (v.RefinePath, v.ScorePath!, 0);
        }
        string fRefine = Float(NetworkKind.Refine, weights), fScore = Float(NetworkKind.Score, weights);
        if (v.Options == null) return (fRefine, fScore, 0);
        if (CalibrationFor != null)
        {
            Calibration = CalibrationFor(fRefine);
            CalibrationFor = null;
        }
        var (refine, refineSeconds) = Quantized(fRefine, v);
        var (score, scoreSeconds) = Quantized(fScore, v);
        return (refine, score, refineSeconds + scoreSeconds);
    }

    /// <summary>A variant name (exported and quantized into the cache; refine first) or two model files in the order
    /// given: <see cref="CropPairSession.OpenRefineAndScore"/> tells them apart from their sessions, so no file is
    /// parsed twice.</summary>
    /// <param name="calibration">Makes the calibration source for a static preset, given the float refiner's
    /// path.</param>
    public static (string A, string B, string Text) ResolvePair(IReadOnlyList<string> values, string weights,
        string cacheDir, RuntimeSettings runtime, Func<string, InputSource> calibration)
    {
        var list = values.SelectMany(v =>
            v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (list.Count > 2)
            throw new FpQuantException(
                $"model list: give one variant name or two model files, got {list.Count} values");
        if (list.Count == 2 || (list.Count == 1 && list[0].EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)))
        {
            if (list.Count != 2)
                throw new FpQuantException($"model list {list[0]}: give both networks' files (REFINE.onnx and " +
                    $"SCORE.onnx) or a variant name");
            foreach (var f in list)
                if (!File.Exists(f)) throw new FpQuantException($"model list: model file '{f}' does not exist");
            return (list[0], list[1], $"{Path.GetFileName(list[0])} + {Path.GetFileName(list[1])}");
        }
        var spec = VariantSpec.Parse(list.Count == 1 ? list[0] : "fp32");
        if (spec.RefinePath != null) return (spec.RefinePath, spec.ScorePath!, spec.Name);
        var store = new BenchModelStore(cacheDir, runtime, 8) { CalibrationFor = calibration };
        var (refine, score, _) = store.ModelsFor(spec, weights);
        return (refine, score, spec.Options == null ? $"fp32 ({WeightSource.Describe(weights)})"
            : $"{spec.Name} ({WeightSource.Describe(weights)}, calibrated on {store.Calibration.Description})");
    }

    /// <summary>The cache key of a quantized model: everything its bytes depend on. <paramref name="options"/> must
    /// have reduce-range resolved; the provider and the CPU's VNNI are in the key as well, so a cache folder shared
    /// between machines or providers never hands one the model quantized for the other.</summary>
    public static string QuantizedKey(string floatModelHash, QuantizationOptions options, string calibration,
        ExecutionProviderKind provider, bool vnni)
    {
        if (options.ReduceRange == null)
            throw new ArgumentException("resolve reduce-range (WithResolvedReduceRange) before hashing the options",
                nameof(options));
        return Hash(floatModelHash + JsonSerializer.Serialize(options,
            QuantizationPresets.Json) + calibration + ToolInfo.Version
            + $"|provider={provider}|vnni={vnni}")[..16];
    }

    private static string FingerprintOf(string weights) =>
        WeightSource.TryParseSynthetic(weights, out _) ? "" : File.Exists(weights)
            ? $"{new FileInfo(weights).Length}:{File.GetLastWriteTimeUtc(weights).Ticks}" : "";

    public static string Hash(string s) => Hash(Encoding.UTF8.GetBytes(s));
    public static string Hash(byte[] b) => Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant();

    /// <summary>A file's hash, read as a stream: a float model is 66 MB, and each variant's cache key reads both
    /// (whole arrays of them were a 1.6 GB start-up peak beside the warm-up sessions).</summary>
    public static string HashFile(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f)).ToLowerInvariant();
    }
}
