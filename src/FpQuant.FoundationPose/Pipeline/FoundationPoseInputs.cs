using System.Globalization;
using FpQuant.Core;
using FpQuant.Inputs;

namespace FpQuant.Pipeline;

/// <summary>
/// FoundationPose's input specs on top of the generic ones: synthetic:COUNT[:SEED] (structured synthetic crop pairs)
/// and scene:demo|FOLDER[:COUNT] (crops rendered and observed in a scene).
/// </summary>
public static class FoundationPoseInputs
{
    /// <summary>The built-in kinds (npy:, images:, text:) plus synthetic: and scene:.</summary>
    public static InputKinds Kinds { get; } = InputKinds.Builtin
        .With("synthetic", "synthetic:COUNT[:SEED] (FoundationPose crops)", (argument, spec, options) =>
        {
            var parts = argument.Split(':');
            if (parts.Length > 2 || !int.TryParse(parts[0], out int n) || n <= 0
                || (parts.Length == 2 && !ulong.TryParse(parts[1], out _)))
                throw new FpQuantException(
                    $"input spec '{spec}': use synthetic:COUNT[:SEED], COUNT a positive whole number");
            return new SyntheticInputSource(n,
                parts.Length == 2 ? ulong.Parse(parts[1], CultureInfo.InvariantCulture) : 0, options.BatchSize);
        })
        .With("scene", "scene:demo|FOLDER[:COUNT] (FoundationPose crops of a scene)", (argument, spec, options) =>
        {
            var (path, count) = InputSpec.PathAndCount(spec, argument);
            return new SceneInputSource(Scene.Open(path), count ?? 32, options.BatchSize);
        });
}
