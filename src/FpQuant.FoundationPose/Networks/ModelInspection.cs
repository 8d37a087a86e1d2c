namespace FpQuant.Networks;

/// <summary>What an ONNX model is: opset, interface, layout, op histogram, quantization, initializer bytes.</summary>
internal sealed record ModelInspection(
    string Path,
    long FileBytes,
    string Producer,
    long IrVersion,
    Dictionary<string, long> Opsets,
    List<string> Inputs,
    List<string> Outputs,
    string Network,
    Dictionary<string, int> OpHistogram,
    string Quantization,
    Dictionary<string, long> InitializerBytesByType,
    Dictionary<string, string> Metadata)
{
    /// <summary>
    /// Ops inside If/Loop/Scan bodies (nested ones included), by depth and op type; empty without bodies.
    /// </summary>
    public SortedDictionary<int, Dictionary<string, int>> SubgraphOps { get; init; } = new();

    public IEnumerable<string> Lines()
    {
        yield return $"ONNX model {System.IO.Path.GetFileName(Path)}: {FileBytes / 1e6:F1} MB, IR {IrVersion}, " +
            $"producer {Producer}";
        yield return $"opsets: " +
            $"{string.Join(", ", Opsets.Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)} {o.Value}"))}";
        yield return $"network: {Network}";
        foreach (var i in Inputs) yield return $"input  {i}";
        foreach (var o in Outputs) yield return $"output {o}";
        yield return $"quantization: {Quantization}";
        yield return "ops: " + string.Join(", ",
            OpHistogram.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal)
                .Select(k => $"{k.Key} {k.Value}"));
        foreach (var (depth, ops) in SubgraphOps)
            yield return $"subgraph ops (depth {depth}): " + string.Join(", ",
                ops.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal)
                    .Select(k => $"{k.Key} {k.Value}"));
        yield return "initializer bytes: " + string.Join(", ",
            InitializerBytesByType.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {k.Value / 1e6:F2} MB"));
        foreach (var m in Metadata) yield return $"metadata {m.Key} = {m.Value}";
    }
}
