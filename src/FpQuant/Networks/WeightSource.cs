using System.Globalization;
using FpQuant.Checkpoints;
using FpQuant.Core;

namespace FpQuant.Networks;

/// <summary>
/// Where weights come from: <c>synthetic[:SEED]</c> (the deterministic recipe) or a FoundationPose checkpoint
/// (<c>model_best.pth</c>, torch.save format).
/// </summary>
public static class WeightSource
{
    public const string DefaultSpec = "synthetic:0";

    public static StateDict Load(NetworkKind kind, string spec)
    {
        if (TryParseSynthetic(spec, out ulong seed))
            return SyntheticWeights.Generate(kind, seed);
        if (spec.StartsWith("synthetic", StringComparison.OrdinalIgnoreCase))
            throw new FpQuantException($"--weights '{spec}': the seed must be a non-negative integer, as in synthetic:0");
        if (spec.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new FpQuantException($"--weights '{spec}': an ONNX file is already a model; pass it with --model instead of --weights");
        var sd = TorchCheckpoint.LoadStateDict(spec);
        sd.Validate(kind, $"checkpoint '{spec}'");
        return sd;
    }

    public static bool TryParseSynthetic(string spec, out ulong seed)
    {
        seed = 0;
        if (spec.Equals("synthetic", StringComparison.OrdinalIgnoreCase)) return true;
        const string prefix = "synthetic:";
        return spec.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && ulong.TryParse(spec.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out seed);
    }

    /// <summary>A normalised description of the source for model metadata (no absolute paths, so files stay reproducible).</summary>
    public static string Describe(string spec) =>
        TryParseSynthetic(spec, out ulong s) ? $"synthetic:{s}" : $"checkpoint:{Path.GetFileName(spec)}";
}
