using FpQuant.Core;
using FpQuant.Quantization;

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
