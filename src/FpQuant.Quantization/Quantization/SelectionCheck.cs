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
        return warnings;
    }
}
