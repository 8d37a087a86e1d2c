using FpQuant.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization.Fp16;

/// <summary>
/// The state of one float16 conversion: which float tensors exist in half precision and under which name, which
/// in float32, and the Casts made between them (one per tensor and direction). Every float operand a node reads
/// comes from <see cref="Half"/> or <see cref="Float32"/>, so the inputs of any node agree in type.
/// </summary>
internal sealed class Fp16Rewrite
{
    public QuantizationOptions Options { get; }
    public GraphIndex Index { get; }
    public List<NodeProto> Nodes { get; } = new();
    /// <summary>Float16 copies of float32 initializers, added to the output graph.</summary>
    public List<TensorProto> HalfInitializers { get; } = new();
    /// <summary>Graph outputs produced in half precision under an internal name, cast back at the end.</summary>
    public Dictionary<string, string> OutputRename { get; } = new(StringComparer.Ordinal);

    private readonly HashSet<string> _floatTensors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _fp32 = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _halfName = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, DataType), string> _casts = new();
    private readonly HashSet<string> _graphOutputs;

    /// <summary>Appended to the names of the Casts and copies this rewrite makes: empty for a main graph, the body's
    /// own for an If/Loop/Scan body, whose names share one namespace with the graphs around it.</summary>
    public string NameSuffix { get; }

    /// <summary>The element types of the source model's tensors.</summary>
    public ElementTypes Types { get; }

    public Fp16Rewrite(ModelProto model, QuantizationOptions options,
        IReadOnlyDictionary<string, int>? knownTypes = null, string nameSuffix = "")
    {
        Options = options;
        NameSuffix = nameSuffix;
        Index = new GraphIndex(model.Graph);
        Types = new ElementTypes(model.Graph, knownTypes);
        _graphOutputs = model.Graph.Output.Select(x => x.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var i in model.Graph.Input) if (i.Type?.TensorType?.ElemType == (int)DataType.Float)
            _floatTensors.Add(i.Name);
        foreach (var i in model.Graph.Initializer)
        {
            _fp32.Add(i.Name);
            if (i.DataType == (int)DataType.Float) _floatTensors.Add(i.Name);
        }
        foreach (var i in model.Graph.Input.Where(i => _floatTensors.Contains(i.Name) && !Index.IsInitializer(i.Name)))
        {
            if (options.Fp16KeepIoTypes) { _fp32.Add(i.Name); _halfName[i.Name] = CastTo(i.Name, DataType.Float16); }
            else _halfName[i.Name] = i.Name;
        }
    }

    /// <summary>Whether a tensor holds float values (float32 in the source model).</summary>
    public bool IsFloat(string tensor) => tensor.Length > 0 && _floatTensors.Contains(tensor);

    /// <summary>Whether a node output held float32 values in the source model (true where its type is unknown), so
    /// that a node computing in float16 makes it float16; integer, boolean and double outputs keep their
    /// types.</summary>
    public bool WasFloat32(string tensor) => Types.IsFloat(tensor);

    /// <summary>
    /// The half-precision name of a float tensor: a float16 initializer copy, the tensor itself, or a Cast.
    /// </summary>
    public string Half(string t)
    {
        if (_halfName.TryGetValue(t, out var h)) return h;
        if (Index.Initializers.TryGetValue(t, out var init) && init.DataType == (int)DataType.Float)
        {
            string hn = $"{t}/fp16{NameSuffix}";
            var vals = TensorProtos.ToFloats(init).Select(ToHalf).ToArray();
            HalfInitializers.Add(TensorProtos.FromHalf(hn, vals, init.Dims.ToArray()));
            return _halfName[t] = hn;
        }
        if (_fp32.Contains(t)) return _halfName[t] = CastTo(t, DataType.Float16);
        return t;
    }

    /// <summary>The float32 name of a float tensor: itself, or a Cast of its half form.</summary>
    public string Float32(string t) => _fp32.Contains(t) ? t : CastTo(Half(t), DataType.Float);

    /// <summary>Values beyond float16's range saturate to +-65504 instead of becoming infinite.</summary>
    public static Half ToHalf(float v) => (Half)Math.Clamp(v, -65504f, 65504f);

    /// <summary>Declares a node output float16 (renamed when it is a graph output that stays float32).</summary>
    public string DefineHalfOutput(string output)
    {
        _floatTensors.Add(output);
        if (_graphOutputs.Contains(output) && Options.Fp16KeepIoTypes)
        {
            string internalName = $"{output}/fp16{NameSuffix}";
            _halfName[output] = internalName;
            OutputRename[output] = internalName;
            return internalName;
        }
        _halfName[output] = output;
        return output;
    }

    /// <summary>Declares a node output float32.</summary>
    public void DefineFloat32Output(string output)
    {
        _floatTensors.Add(output);
        _fp32.Add(output);
    }

    public string CastTo(string t, DataType to)
    {
        if (_casts.TryGetValue((t, to), out var c)) return c;
        c = $"{t}/{(to == DataType.Float16 ? "fp16" : "fp32")}{NameSuffix}";
        var n = new NodeProto { OpType = "Cast", Name = $"{c}/Cast" };
        n.Input.Add(t); n.Output.Add(c);
        n.Attribute.Add(GraphBuilder.Attr("to", (long)to));
        Nodes.Add(n);
        _casts[(t, to)] = c;
        return c;
    }
}
