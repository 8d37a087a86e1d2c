using System.Text.Json;

namespace FpQuant.Benchmark;

/// <summary>Aggregates ONNX Runtime's profiler output (kernel times per node) by op type and by module path.</summary>
internal static class ProfileAnalysis
{
    /// <param name="skipRuns">Session runs at the start of the profile to leave out (the first run of a session
    /// pays one-time allocation costs that no later frame sees).</param>
    public static (Dictionary<string, double> ByOp, Dictionary<string, double> ByModule) Aggregate(string profileJson,
        int skipRuns = 0)
    {
        var byOp = new Dictionary<string, double>(StringComparer.Ordinal);
        var byModule = new Dictionary<string, double>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(profileJson));
        var runStarts = doc.RootElement.EnumerateArray()
            .Where(e => e.TryGetProperty("name", out var n) && n.GetString() == "model_run")
            .Select(e => e.GetProperty("ts").GetDouble()).OrderBy(t => t).ToList();
        double from = skipRuns > 0 && skipRuns < runStarts.Count ? runStarts[skipRuns] : double.NegativeInfinity;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("cat", out var cat) || cat.GetString() != "Node") continue;
            if (e.GetProperty("ts").GetDouble() < from) continue;
            string name = e.GetProperty("name").GetString() ?? "";
            if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            double ms = e.GetProperty("dur").GetDouble() / 1000.0;
            string op = e.TryGetProperty("args", out var args)
                && args.TryGetProperty("op_name", out var o) ? o.GetString() ?? "?" : "?";
            string node = name[..^"_kernel_time".Length];
            Add(byOp, op, ms);
            Add(byModule, ModuleGroup(node, op), ms);
        }
        return (byOp, byModule);
    }

    private static void Add(Dictionary<string, double> d, string k, double v) => d[k] = d.GetValueOrDefault(k) + v;

    /// <summary>Which part of the network a node (or a fused node named after it) belongs to.</summary>
    public static string ModuleGroup(string node, string op)
    {
        if (op is "QuantizeLinear" or "DequantizeLinear" or "DynamicQuantizeLinear") return "Q/DQ overhead";
        if (node.StartsWith("encode", StringComparison.Ordinal)) return "conv blocks";
        if (node.Contains("self_attn", StringComparison.Ordinal) || node.StartsWith("att.", StringComparison.Ordinal)
            || node.StartsWith("att/", StringComparison.Ordinal)
            || node.StartsWith("att_cross", StringComparison.Ordinal)) return "attention";
        if (node.StartsWith("trans_head.0", StringComparison.Ordinal)
            || node.StartsWith("rot_head.0", StringComparison.Ordinal)) return "transformer (ffn, norms)";
        if (node.StartsWith("trans_head", StringComparison.Ordinal)
            || node.StartsWith("rot_head", StringComparison.Ordinal)
            || node.StartsWith("linear", StringComparison.Ordinal)
            || node.StartsWith("group", StringComparison.Ordinal)) return "heads";
        if (node.StartsWith("tokens", StringComparison.Ordinal)
            || node.StartsWith("pos_embed", StringComparison.Ordinal)
            || node.StartsWith("input_layout", StringComparison.Ordinal)) return "tokens and layout";
        if (op is "ReorderInput" or "ReorderOutput" || node.StartsWith("Reorder", StringComparison.Ordinal))
            return "layout reorders";
        return "other";
    }
}
