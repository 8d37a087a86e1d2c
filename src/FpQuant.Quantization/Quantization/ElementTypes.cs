using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization;

/// <summary>
/// A light element-type inference: which tensors of a graph hold floats. Graph inputs, initializers and Constant
/// values carry their type; ops that make integers or booleans (Shape, comparisons, ArgMax, ...) and Cast say
/// theirs; every other op produces the type of its first typed data input. Enough to keep integer shape
/// arithmetic (as exporters write it around Reshape) out of quantization; a tensor it cannot type counts as float.
/// </summary>
internal sealed class ElementTypes
{
    private static readonly HashSet<string> Int64Outputs =
        new(StringComparer.Ordinal) { "Shape", "Size", "ArgMax", "ArgMin", "NonZero", "TopK" };
    private static readonly HashSet<string> BoolOutputs = new(StringComparer.Ordinal)
        { "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf" };
    /// <summary>Ops whose output type follows input 1, not input 0 (Where's condition is boolean).</summary>
    private static readonly HashSet<string> TypeFromSecondInput = new(StringComparer.Ordinal) { "Where" };

    private readonly Dictionary<string, int> _types = new(StringComparer.Ordinal);

    /// <param name="known">Types already known (e.g. as ONNX Runtime inferred them, see <see cref="RuntimeTypes"/>);
    /// they take precedence over the rules above.</param>
    public ElementTypes(GraphProto graph, IReadOnlyDictionary<string, int>? known = null)
    {
        foreach (var i in graph.Input) if (i.Type?.TensorType != null) _types[i.Name] = i.Type.TensorType.ElemType;
        foreach (var i in graph.Initializer) _types[i.Name] = i.DataType;
        foreach (var n in graph.Node)
        {
            int? t = n.OpType switch
            {
                "Cast" => (int)GraphIndex.IntAttr(n, "to", 0),
                "Constant" => n.Attribute.FirstOrDefault(a => a.Name == "value")?.T.DataType
                    ?? (n.Attribute.Any(a => a.Name is "value_float" or "value_floats") ? (int)DataType.Float
                        : (int)DataType.Int64),
                "ConstantOfShape" => n.Attribute.FirstOrDefault(a => a.Name == "value")?.T.DataType
                    ?? (int)DataType.Float,
                var op when Int64Outputs.Contains(op) => (int)DataType.Int64,
                var op when BoolOutputs.Contains(op) => (int)DataType.Bool,
                var op when TypeFromSecondInput.Contains(op) => n.Input.Count > 1 ? Of(n.Input[1]) : null,
                _ => n.Input.Select(Of).FirstOrDefault(x => x != null),
            };
            if (t == null) continue;
            // TopK's second output and ArgMax's only one are int64; TopK's first follows its input.
            for (int k = 0; k < n.Output.Count; k++)
                if (n.Output[k].Length > 0)
                    _types[n.Output[k]] = n.OpType == "TopK" && k == 0 ? Of(n.Input[0]) ?? t.Value : t.Value;
        }
        if (known != null) foreach (var (name, type) in known) _types[name] = type;
    }

    /// <summary>Every tensor whose type is known, by name.</summary>
    public IReadOnlyDictionary<string, int> Known => _types;

    /// <summary>The element type of a tensor (ONNX's DataType number), or null where it is unknown.</summary>
    public int? TypeOf(string tensor) => Of(tensor);

    private int? Of(string tensor) => tensor.Length > 0 && _types.TryGetValue(tensor, out var t) ? t : null;

    /// <summary>Whether a tensor holds float32 values (true where its type is unknown).</summary>
    public bool IsFloat(string tensor) => Of(tensor) is not int t || t == (int)DataType.Float;
}
