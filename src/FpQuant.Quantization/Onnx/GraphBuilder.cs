using FpQuant.Core;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Onnx;

/// <summary>Builds an ONNX graph node by node. Node and tensor names are checked for uniqueness so a later
/// pass can address layers by name; the result serialises byte-identically for identical calls.</summary>
internal sealed class GraphBuilder
{
    public const int DefaultOpset = 17;
    public const string ProducerName = "fpquant";

    private readonly GraphProto _graph = new();
    private readonly HashSet<string> _nodeNames = new();
    private readonly HashSet<string> _tensorNames = new();

    public GraphBuilder(string graphName) { _graph.Name = graphName; }

    public GraphProto Graph => _graph;

    public string Input(string name, DataType type, params Dim[] dims)
    {
        ClaimTensor(name);
        _graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    public void Output(string name, DataType type, params Dim[] dims) => _graph.Output.Add(ValueInfo(name, type, dims));

    public static ValueInfoProto ValueInfo(string name, DataType type, Dim[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            var dim = new TensorShapeProto.Types.Dimension();
            if (d.Param != null) dim.DimParam = d.Param; else dim.DimValue = d.Value;
            shape.Dim.Add(dim);
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public string Initializer(TensorProto t)
    {
        ClaimTensor(t.Name);
        _graph.Initializer.Add(t);
        return t.Name;
    }

    public string Initializer(string name, FloatTensor t) => Initializer(TensorProtos.FromTensor(name, t));

    public string Constant(string name, float value) => Initializer(TensorProtos.FromFloats(name, new[] { value }));

    public string ConstantInt64(string name, params long[] values) =>
        Initializer(TensorProtos.FromInt64(name, values, values.Length));

    /// <summary>Adds a node with one output named after the node, and returns that output's name.</summary>
    public string Node(string opType, string name, IEnumerable<string> inputs,
        params (string Key, object Value)[] attributes) =>
        NodeMulti(opType, name, inputs, new[] { name }, attributes)[0];

    public string[] NodeMulti(string opType, string name, IEnumerable<string> inputs, IReadOnlyList<string> outputs,
        params (string Key, object Value)[] attributes)
    {
        if (!_nodeNames.Add(name)) throw new InvalidOperationException($"duplicate node name '{name}'");
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        foreach (var o in outputs) { ClaimTensor(o); node.Output.Add(o); }
        foreach (var (k, v) in attributes) node.Attribute.Add(Attr(k, v));
        _graph.Node.Add(node);
        return outputs.ToArray();
    }

    public static AttributeProto Attr(string key, object value)
    {
        var a = new AttributeProto { Name = key };
        switch (value)
        {
            case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
            case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
            case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
            case int[] ints: a.Type =
                AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints.Select(x => (long)x)); break;
            case string[] ss: a.Type =
                AttributeProto.Types.AttributeType.Strings; a.Strings.AddRange(
                    ss.Select(ByteString.CopyFromUtf8)); break;
            default: throw new ArgumentException($"unsupported attribute type {value.GetType()} for '{key}'");
        }
        return a;
    }

    private void ClaimTensor(string name)
    {
        if (!_tensorNames.Add(name)) throw new InvalidOperationException($"duplicate tensor name '{name}'");
    }

    public ModelProto Build(long opset = DefaultOpset, IDictionary<string, string>? metadata = null)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = ProducerName,
            ProducerVersion = ToolInfo.Version,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        if (metadata != null)
            foreach (var kv in metadata.OrderBy(k => k.Key, StringComparer.Ordinal))
                model.MetadataProps.Add(new StringStringEntryProto { Key = kv.Key, Value = kv.Value });
        return model;
    }
}
