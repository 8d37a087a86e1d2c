using System.Globalization;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Quantization;
using FpQuant.Runtime;
using FpQuant.Training;

namespace FpQuant.Cli.Commands;

/// <summary>The text of the CLI's flags as the library's values; a bad value is named by its flag. The library
/// keeps the parsing of its own formats (preset files, input specs, weight specs); what only a flag spells lives
/// here.</summary>
internal static class FlagValues
{
    public static QuantType QuantType(string s, string flag) => s.Trim().ToLowerInvariant() switch
    {
        "s8" or "int8" or "qint8" => Quantization.QuantType.S8,
        "u8" or "uint8" or "quint8" => Quantization.QuantType.U8,
        _ => throw new FpQuantException($"{flag} '{s}': use s8 or u8"),
    };

    public static QuantMode QuantMode(string s) => s.Trim().ToLowerInvariant() switch
    {
        "static" => Quantization.QuantMode.Static,
        "dynamic" => Quantization.QuantMode.Dynamic,
        "weights-only" or "weightsonly" or "weights" => Quantization.QuantMode.WeightOnly,
        "fp16" => Quantization.QuantMode.Fp16,
        _ => throw new FpQuantException($"--mode '{s}': use static, dynamic, weights-only or fp16"),
    };

    public static QuantFormat QuantFormat(string s) => s.Trim().ToLowerInvariant() switch
    {
        "qdq" => Quantization.QuantFormat.Qdq,
        "qoperator" or "qop" => Quantization.QuantFormat.QOperator,
        _ => throw new FpQuantException($"--format '{s}': use qdq or qoperator"),
    };

    public static CalibrationMethod CalibrationMethod(string s) => s.Trim().ToLowerInvariant() switch
    {
        "minmax" => Quantization.CalibrationMethod.MinMax,
        "percentile" => Quantization.CalibrationMethod.Percentile,
        "entropy" => Quantization.CalibrationMethod.Entropy,
        "histogram-l2" or "histogram" or "l2" => Quantization.CalibrationMethod.HistogramL2,
        _ => throw new FpQuantException($"--calibration-method '{s}': use minmax, percentile, entropy or histogram-l2"),
    };

    /// <summary>--smooth ALPHA: one migration strength in [0, 1].</summary>
    public static double SmoothingAlpha(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double a) && a >= 0 && a <= 1 ? a
        : throw new FpQuantException($"--smooth '{text}': use auto, per-layer, none or a migration strength alpha " +
            $"in [0, 1], e.g. 0.5");

    /// <summary>quantize --smooth: auto or per-layer (each smoothed activation its own alpha, searched on the
    /// calibration data), none, or one ALPHA for every layer.</summary>
    public static QuantizationOptions Smoothing(QuantizationOptions o, string text) =>
        text.Trim().ToLowerInvariant() switch
        {
            "auto" or "per-layer" => o with { SmoothingAlpha = null, SmoothingPerLayer = true },
            "none" => o with { SmoothingAlpha = null, SmoothingPerLayer = false },
            _ => o with { SmoothingAlpha = SmoothingAlpha(text), SmoothingPerLayer = false },
        };

    public static ExecutionProviderKind Provider(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cpu" => ExecutionProviderKind.Cpu,
        "cuda" => ExecutionProviderKind.Cuda,
        "tensorrt" or "trt" => ExecutionProviderKind.TensorRt,
        _ => throw new FpQuantException($"unknown execution provider '{text}': use --provider cpu, cuda or tensorrt"),
    };

    /// <summary>--net: refine or score (the library's network names).</summary>
    public static NetworkKind Net(string text)
    {
        try { return NetworkNames.ParseKind(text); }
        catch (FpQuantException e) { throw new FpQuantException($"--net: {e.Message}", e); }
    }

    public static ModelLayout Layout(string text) => text.Trim().ToLowerInvariant() switch
    {
        "nchw" => ModelLayout.Nchw,
        "isaac" or "nhwc" => ModelLayout.Isaac,
        _ => throw new FpQuantException($"unknown layout '{text}': use --layout nchw or --layout isaac"),
    };

    /// <summary>A memory size: "1GB", "1.5 GB", "800MB", "512MiB", a plain number of bytes, or "0"/"none" (no
    /// budget).</summary>
    public static long MemorySize(string text, string flag = "--max-memory")
    {
        string t = text.Trim().ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal);
        if (t is "0" or "none" or "unlimited") return 0;
        long unit = 1;
        foreach (var (suffix, u) in new[]
        {
            ("gib", 1L << 30), ("gb", 1L << 30), ("g", 1L << 30), ("mib", 1L << 20), ("mb", 1L << 20),
            ("m", 1L << 20), ("kib", 1L << 10), ("kb", 1L << 10), ("k", 1L << 10), ("b", 1L),
        })
            if (t.EndsWith(suffix, StringComparison.Ordinal)) { unit = u; t = t[..^suffix.Length]; break; }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            || v < 0 || double.IsNaN(v) || v * unit > long.MaxValue / 2)
            throw new FpQuantException($"{flag} '{text}' is not a size: use e.g. 1GB, 800MB or 0 for no budget");
        return (long)(v * unit);
    }

    /// <summary>"1,2,5" (or empty) as ids, naming the flag on a bad value.</summary>
    public static int[] Ids(string? text, string flag)
    {
        if (string.IsNullOrWhiteSpace(text)) return Array.Empty<int>();
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
                : throw new FpQuantException(
                    $"{flag} '{text}': '{s}' is not an id; give comma-separated non-negative integers such as 1,2,5"))
            .ToArray();
    }

    public static CropSetKind CropKind(string text) => text switch
    {
        "refine" => CropSetKind.Refine,
        "score" => CropSetKind.Score,
        "both" => CropSetKind.Both,
        _ => throw new FpQuantException($"--kind must be refine, score or both, got '{text}'"),
    };

    public static NpyElementType CropType(string text) => text switch
    {
        "float32" => NpyElementType.Float32,
        "float16" => NpyElementType.Float16,
        _ => throw new FpQuantException($"--dtype must be float32 or float16, got '{text}'"),
    };
}
