using FpQuant.Core;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// Checks --include / --exclude against the model's node names. An --include list that selects no node at all is
/// an error (the quantization would do nothing); any single pattern that matches no node is a warning, since presets
/// carry patterns for modules a given model may lack.
/// </summary>
internal static class SelectionCheck
{
    /// <returns>One warning per pattern that matches no node.</returns>
    public static List<string> Check(GraphProto graph, QuantizationOptions options, string modelSource)
    {
        var names = graph.Node.Select(n => n.Name).ToList();
        var warnings = new List<string>();
        bool Matched(string glob) { var r = NodeSelector.Compile(glob); return names.Any(r.IsMatch); }
        if (options.Include.Count > 0 && !options.Include.Any(Matched))
            throw new FpQuantException($"Include {string.Join(", ", options.Include.Select(g => $"'{g}'"))} matches " +
                $"no node of {modelSource}; node names look like " +
                $"{string.Join(", ", names.Take(3).Select(n => $"'{n}'"))}");
        foreach (var (option, globs) in new[] { ("Include", options.Include), ("Exclude", options.Exclude) })
            foreach (var g in globs)
                if (!Matched(g))
                    warnings.Add($"{option} '{g}' matches no node of {modelSource}");
        warnings.AddRange(CheckFloatTensors(graph, options, modelSource));
        return warnings;
    }

    /// <summary>Float tensors name activations: an exact name that is none (or a weight) is an error, a glob that
    /// matches none a warning (presets carry globs for tensors a given model may lack).</summary>
    private static List<string> CheckFloatTensors(GraphProto graph, QuantizationOptions options, string modelSource)
    {
        var warnings = new List<string>();
        if (options.FloatTensors.Count == 0) return warnings;
        var (activations, constants) = FloatTensorSelector.TensorsOf(graph);
        foreach (var t in options.FloatTensors)
        {
            bool glob = t.Contains('*', StringComparison.Ordinal) || t.Contains('?', StringComparison.Ordinal);
            if (glob)
            {
                var r = NodeSelector.Compile(t);
                if (!activations.Any(r.IsMatch)) warnings.Add($"FloatTensors '{t}' matches no activation tensor of " +
                    $"{modelSource}");
            }
            else if (constants.Contains(t))
                throw new FpQuantException($"FloatTensors '{t}' is a constant (a weight) of {modelSource}, not an " +
                    $"activation tensor; keep its node float with Exclude instead");
            else if (!activations.Contains(t, StringComparer.Ordinal))
                throw new FpQuantException($"FloatTensors '{t}' names no activation tensor of {modelSource}; " +
                    $"activation tensors are node outputs and graph inputs, e.g. " +
                    $"{string.Join(", ", activations.Take(3).Select(n => $"'{n}'"))}");
        }
        return warnings;
    }
}
