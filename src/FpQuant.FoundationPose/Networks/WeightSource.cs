using System.Globalization;
using FpQuant.Checkpoints;
using FpQuant.Core;

namespace FpQuant.Networks;

/// <summary>
/// Where weights come from: <c>synthetic[:SEED]</c> (the deterministic recipe) or a FoundationPose checkpoint
/// (<c>model_best.pth</c>, torch.save format).
/// </summary>
internal static class WeightSource
{
    public const string DefaultSpec = "synthetic:0";

    /// <summary>
    /// The spec for one network. FoundationPose ships one checkpoint per network, so a spec may name both:
    /// <c>refine=REFINER.pth,score=SCORER.pth</c> (either part may also be synthetic[:SEED]); a plain spec applies to
    /// both.
    /// </summary>
    public static string ForNetwork(NetworkKind kind, string spec)
    {
        if (!spec.Contains('=')) return spec;
        string? found = null;
        foreach (var part in spec.Split(','))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1)
                throw new FpQuantException($"weights '{spec}': '{part}' is not NET=SOURCE; use " +
                    $"refine=REFINER.pth,score=SCORER.pth");
            var name = part[..eq].Trim();
            var kindOfPart = NetworkNames.ParseKind(name);
            if (kindOfPart == kind)
                found = found == null ? part[(eq + 1)..].Trim()
                    : throw new FpQuantException($"weights '{spec}': {name} is given twice");
        }
        return found
            ?? throw new FpQuantException($"weights '{spec}' names no weights for the {kind.Id()} network; add " +
                $"{kind.Id()}=FILE.pth (or {kind.Id()}=synthetic:0)");
    }

    public static StateDict Load(NetworkKind kind, string spec)
    {
        spec = ForNetwork(kind, spec);
        if (TryParseSynthetic(spec, out ulong seed))
            return SyntheticWeights.Generate(kind, seed);
        if (spec.StartsWith("synthetic", StringComparison.OrdinalIgnoreCase))
            throw new FpQuantException($"weights '{spec}': the seed must be a non-negative integer, as in synthetic:0");
        if (spec.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new FpQuantException(
                $"weights '{spec}': an ONNX file is already a model; load it as a model, not as weights");
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

    /// <summary>
    /// A normalised description of the source for model metadata (no absolute paths, so files stay reproducible).
    /// </summary>
    public static string Describe(string spec) =>
        spec.Contains('=') ? $"refine={Describe(NetworkKind.Refine, spec)},score={Describe(NetworkKind.Score, spec)}"
        : TryParseSynthetic(spec, out ulong s) ? $"synthetic:{s}" : $"checkpoint:{Path.GetFileName(spec)}";

    /// <summary>The description of the weights one network gets.</summary>
    public static string Describe(NetworkKind kind, string spec) => Describe(ForNetwork(kind, spec));
}
