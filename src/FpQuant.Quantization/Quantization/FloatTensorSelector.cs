using System.Text.RegularExpressions;
using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// The activation tensors <see cref="QuantizationOptions.FloatTensors"/> keeps float, by exact name or glob ('*' any
/// run of characters, '?' one character), as <see cref="NodeSelector"/> matches node names.
/// </summary>
internal sealed class FloatTensorSelector
{
    private readonly List<Regex> _globs;
    private readonly Dictionary<string, bool> _seen = new(StringComparer.Ordinal);

    public FloatTensorSelector(IEnumerable<string> globs) { _globs = globs.Select(NodeSelector.Compile).ToList(); }

    public bool IsEmpty => _globs.Count == 0;

    public bool Keeps(string tensor)
    {
        if (_globs.Count == 0 || tensor.Length == 0) return false;
        if (!_seen.TryGetValue(tensor, out bool keep)) _seen[tensor] = keep = _globs.Any(r => r.IsMatch(tensor));
        return keep;
    }

    /// <summary>The activation tensors of a graph and of the bodies nested in it (graph inputs and node outputs that
    /// are not constants), in graph order, and its constants.</summary>
    public static (List<string> Activations, HashSet<string> Constants) TensorsOf(GraphProto graph)
    {
        var constants = new HashSet<string>(StringComparer.Ordinal);
        var activations = new List<string>();
        foreach (var g in Subgraphs.AllNodes(graph).SelectMany(n => Subgraphs.Of(n.Node)).Prepend(graph))
        {
            foreach (var i in g.Initializer) constants.Add(i.Name);
            activations.AddRange(g.Input.Select(i => i.Name));
            activations.AddRange(g.Node.SelectMany(n => n.Output).Where(o => o.Length > 0));
        }
        return (activations.Where(a => !constants.Contains(a)).Distinct().ToList(), constants);
    }

    /// <summary>The activation tensors of <paramref name="graph"/> these globs keep float, in graph order (for the
    /// sidecar).</summary>
    public List<string> KeptIn(GraphProto graph) =>
        IsEmpty ? new() : TensorsOf(graph).Activations.Where(Keeps).ToList();
}
