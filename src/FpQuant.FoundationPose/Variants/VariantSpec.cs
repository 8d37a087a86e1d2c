using FpQuant.Core;
using FpQuant.Quantization;

namespace FpQuant.Variants;

/// <summary>A variant to benchmark: fp32, a preset, a preset file, or model files the user passes.</summary>
internal sealed record VariantSpec(string Name, string Description, QuantizationOptions? Options = null,
    string? RefinePath = null, string? ScorePath = null)
{
    /// <summary>What a bench runs when no variant is named: the float reference and every preset.</summary>
    public static IReadOnlyList<string> DefaultNames { get; } =
        Array.AsReadOnly(new[] { "fp32" }.Concat(Networks.FoundationPosePresets.All.Keys).ToArray());

    /// <summary>The variants of a run: <paramref name="names"/> (fp32, presets, preset files; comma-separated or
    /// repeated), or when none are named the defaults (just fp32 when the user brings files), then the user's own
    /// NAME=REFINE.onnx,SCORE.onnx pairs. Names must be distinct: they name report rows and cache files.</summary>
    public static List<VariantSpec> ParseList(IReadOnlyList<string>? names, IReadOnlyList<string>? userFiles)
    {
        var list = names != null
            ? names.SelectMany(s =>
                s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList()
            : userFiles != null ? new List<string> { "fp32" } : DefaultNames.ToList();
        var specs = list.Select(Parse).Concat((userFiles ?? Array.Empty<string>()).Select(Parse)).ToList();
        if (specs.Select(s => s.Name).Distinct().Count() != specs.Count)
            throw new FpQuantException("two variants have the same name; give each a distinct name");
        return specs;
    }

    public static VariantSpec Parse(string text)
    {
        if (text == "fp32") return new VariantSpec("fp32", "float32 reference");
        int eq = text.IndexOf('=');
        if (eq > 0)
        {
            // NAME=REFINE.onnx,SCORE.onnx: the user's own files.
            var files = text[(eq + 1)..].Split(',');
            if (files.Length != 2) throw new FpQuantException($"variant '{text}': use NAME=REFINE.onnx,SCORE.onnx");
            return new VariantSpec(text[..eq], "user model files", null, files[0], files[1]);
        }
        if (text.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return new VariantSpec(Path.GetFileNameWithoutExtension(text), $"preset file {Path.GetFileName(text)}",
                QuantizationPresets.LoadFile(text));
        var preset = Networks.FoundationPosePresets.All.TryGetValue(text, out var p) ? p
            : throw new FpQuantException($"unknown variant '{text}': use fp32, a preset " +
                $"({string.Join(", ", Networks.FoundationPosePresets.All.Keys)}), a preset .json file, or " +
                $"NAME=REFINE.onnx,SCORE.onnx");
        return new VariantSpec(text, preset.Description, preset.Options);
    }
}
