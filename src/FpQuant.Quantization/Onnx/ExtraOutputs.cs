using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Onnx;

/// <summary>
/// Copies of a model that also output some of its inner tensors, for calibration and for comparing a quantized
/// model's activations with the float ones. A graph input cannot also be a graph output, so an input asked for is
/// exposed through an Identity.
/// </summary>
internal static class ExtraOutputs
{
    /// <summary>A copy of <paramref name="model"/> whose main graph also outputs <paramref name="tensors"/> (float
    /// tensors of the main graph), without value_info (stale types would contradict the outputs); see
    /// <see cref="Add"/> for the output names.</summary>
    public static (ModelProto Model, Dictionary<string, string> TensorOf) Copy(ModelProto model,
        IEnumerable<string> tensors, string purpose)
    {
        var copy = model.Clone();
        var tensorOf = Add(copy.Graph, tensors, purpose);
        copy.Graph.ValueInfo.Clear();
        return (copy, tensorOf);
    }

    /// <summary>Makes each of <paramref name="tensors"/> an output of <paramref name="graph"/>: under its own name, or,
    /// for a graph input, under "NAME/<paramref name="purpose"/>_copy" (an Identity named
    /// "NAME/<paramref name="purpose"/>_identity"). Returns the tensor each output name carries.</summary>
    public static Dictionary<string, string> Add(GraphProto graph, IEnumerable<string> tensors, string purpose)
    {
        var existing = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var tensorOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in tensors)
        {
            string exposed = t;
            if (inputs.Contains(t))
            {
                exposed = $"{t}/{purpose}_copy";
                var id = new NodeProto { OpType = "Identity", Name = $"{t}/{purpose}_identity" };
                id.Input.Add(t); id.Output.Add(exposed);
                graph.Node.Add(id);
            }
            tensorOf[exposed] = t;
            if (existing.Add(exposed)) graph.Output.Add(FloatOutput(exposed));
        }
        return tensorOf;
    }

    /// <summary>A graph output of float elements and unstated shape.</summary>
    public static ValueInfoProto FloatOutput(string name) =>
        new()
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
        };
}
