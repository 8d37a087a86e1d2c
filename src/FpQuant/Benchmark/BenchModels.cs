using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;

namespace FpQuant.Benchmark;

/// <summary>A variant to benchmark: fp32, a preset, a preset file, or model files the user passes.</summary>
public sealed record VariantSpec(string Name, string Description, QuantizationOptions? Options = null, string? RefinePath = null, string? ScorePath = null)
{
    public static VariantSpec Parse(string text)
    {
        if (text == "fp32") return new VariantSpec("fp32", "float32 reference");
        int eq = text.IndexOf('=');
        if (eq > 0)
        {
            // NAME=REFINE.onnx,SCORE.onnx: the user's own files.
            var files = text[(eq + 1)..].Split(',');
            if (files.Length != 2) throw new FpQuantException($"--variant '{text}': use NAME=REFINE.onnx,SCORE.onnx");
            return new VariantSpec(text[..eq], "user model files", null, files[0], files[1]);
        }
        if (text.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return new VariantSpec(Path.GetFileNameWithoutExtension(text), $"preset file {Path.GetFileName(text)}", QuantizationPresets.LoadFile(text));
        var preset = Networks.FoundationPosePresets.All.TryGetValue(text, out var p) ? p
            : throw new FpQuantException($"unknown variant '{text}': use fp32, a preset ({string.Join(", ", Networks.FoundationPosePresets.All.Keys)}), a preset .json file, or NAME=REFINE.onnx,SCORE.onnx");
        return new VariantSpec(text, preset.Description, preset.Options);
    }
}

/// <summary>
/// Makes the model files a bench run needs: the fp32 export and each preset's quantized copy. Quantized models are
/// cached by the hash of their inputs (deterministic output makes this safe), so repeated runs skip calibration.
/// </summary>
public sealed class BenchModelStore
{
    private readonly string _cacheDir;
    private readonly RuntimeSettings _settings;
    /// <summary>Data for static presets; part of each quantized model's cache key.</summary>
    public CalibrationSource Calibration { get; set; }

    /// <param name="calibration">Data for static presets (default: synthetic crops, calibrationPairs of them).</param>
    public BenchModelStore(string cacheDir, RuntimeSettings settings, int calibrationPairs, CalibrationSource? calibration = null)
    {
        _cacheDir = cacheDir;
        _settings = settings;
        Calibration = calibration ?? new SyntheticCalibrationSource(calibrationPairs, 0, 8);
        try { Directory.CreateDirectory(cacheDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"model cache folder '{cacheDir}' cannot be created ({e.Message}); pass a writable folder with --cache", e);
        }
    }

    public string Float(NetworkKind kind, string weights)
    {
        weights = WeightSource.ForNetwork(kind, weights);
        string path = Path.Combine(_cacheDir, $"fp32-{kind.Id()}-{Hash(weights + ToolInfo.Version + FingerprintOf(weights))[..12]}.onnx");
        if (!File.Exists(path)) NetworkExport.Export(kind, weights, ModelLayout.Nchw, path);
        return path;
    }

    /// <summary>Returns the quantized model's path and the seconds quantization took (0 when cached... as recorded).</summary>
    public (string Path, double Seconds) Quantized(string floatPath, VariantSpec v)
    {
        var o = v.Options!;
        var calib = Calibration;
        string key = Hash(Hash(File.ReadAllBytes(floatPath)) + JsonSerializer.Serialize(o, QuantizationPresets.Json) + calib.Description + ToolInfo.Version)[..16];
        string path = Path.Combine(_cacheDir, $"{v.Name}-{Path.GetFileNameWithoutExtension(floatPath)}-{key}.onnx");
        string meta = path + ".seconds";
        if (File.Exists(path) && File.Exists(meta))
            return (path, double.Parse(File.ReadAllText(meta), System.Globalization.CultureInfo.InvariantCulture));
        var model = OnnxModelFile.Load(floatPath);
        var r = ModelQuantizer.Quantize(model, floatPath, o, v.Name, o.Mode == QuantMode.Static ? calib : null, _settings);
        ModelQuantizer.Save(r, path, floatPath);
        AtomicFile.WriteAllText(meta, r.Elapsed.TotalSeconds.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        return (path, r.Elapsed.TotalSeconds);
    }

    private static string FingerprintOf(string weights) =>
        WeightSource.TryParseSynthetic(weights, out _) ? "" : File.Exists(weights) ? $"{new FileInfo(weights).Length}:{File.GetLastWriteTimeUtc(weights).Ticks}" : "";

    public static string Hash(string s) => Hash(Encoding.UTF8.GetBytes(s));
    public static string Hash(byte[] b) => Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant();
}
