using System.Runtime.InteropServices;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization;

/// <summary>
/// The state of one graph rewrite: emitted nodes and initializers, and for every quantized tensor its integer
/// and float forms. Quantize and dequantize nodes are created lazily, the first time a consumer needs them, so
/// each tensor gets exactly one pair however many consumers it has.
/// </summary>
internal sealed class RewriteContext
{
    public QuantizationPlan Plan { get; }
    public QuantizationOptions Options => Plan.Options;
    public GraphIndex Index => Plan.Index;
    public QuantFormat Format => Options.Format;
    public Dictionary<string, QuantParams> Params { get; }

    public List<NodeProto> Nodes { get; } = new();
    public List<TensorProto> NewInitializers { get; } = new();
    /// <summary>Float initializers whose every use was replaced by an integer copy; dropped from the output.</summary>
    public HashSet<string> ReplacedInitializers { get; } = new(StringComparer.Ordinal);
    public bool UsesMicrosoftDomain { get; private set; }

    private readonly Dictionary<string, string> _alias = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QTensorRef> _int = new(StringComparer.Ordinal);
    private readonly HashSet<string> _float = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _dq = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QTensorRef> _weights = new(StringComparer.Ordinal);
    private readonly HashSet<string> _initNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _floatUses = new(StringComparer.Ordinal);

    public RewriteContext(QuantizationPlan plan, Dictionary<string, QuantParams> parameters)
    {
        Plan = plan;
        Params = parameters;
        foreach (var i in Index.GraphInputs) _float.Add(i);
        foreach (var i in Index.Initializers.Keys) { _float.Add(i); _initNames.Add(i); }
    }

    public static Dictionary<string, QuantParams> ComputeParams(QuantizationPlan plan,
        IReadOnlyDictionary<string, CalibrationRange> ranges)
    {
        var o = plan.Options;
        var q =
            QuantMath.Range(o.ActivationType, o.SymmetricActivations, o.ReduceRangeActivations, o.TorchSymmetricRule);
        var result = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        foreach (var t in plan.Tensors.Keys)
        {
            (double lo, double hi) = plan.Resolve(t) switch
            {
                CalibratedSource c => ranges.TryGetValue(c.Tensor, out var r) ? (r.Min, r.Max)
                    : throw new FpQuantException($"no calibration range for tensor '{c.Tensor}'"),
                FixedSource f => (f.Min, f.Max),
                ConstantSource k => QuantMath.MinMax(TensorProtos.ToFloats(plan.Index.Initializers[k.Initializer])),
                var other => throw new InvalidOperationException($"unresolved source {other}"),
            };
            var (s, zp) = o.TorchSymmetricRule
                && o.SymmetricActivations ? QuantMath.TorchSymmetric(lo, hi, q)
                    : QuantMath.ScaleZeroPoint(lo, hi, q, o.SymmetricActivations);
            result[t] = QuantParams.PerTensor(s, zp, o.ActivationType);
        }
        return result;
    }

    public void Alias(string tensor, string target) => _alias[tensor] = target;
    private string Resolve(string t) { while (_alias.TryGetValue(t, out var a)) t = a; return t; }

    public void MarkFloat(string tensor) => _float.Add(tensor);

    // ---- reading tensors ----

    /// <summary>The name a float-computing node reads for <paramref name="tensor"/>: in QDQ form, the dequantized
    /// copy of a quantized tensor (every consumer sees the same quantized value); otherwise its float form.</summary>
    public string Input(string tensor)
    {
        if (tensor.Length == 0) return tensor;
        string t = Resolve(tensor);
        if (Format == QuantFormat.Qdq && Plan.IsQuantized(t)) return Dequantized(t);
        return Float(tensor);
    }

    /// <summary>What a node left float reads: a float layer with a constant weight reads the unquantized tensor when
    /// one exists (see <see cref="QuantizationPlan.IsFloatComputeWithWeight"/>); anything else reads
    /// <see cref="Input"/>.</summary>
    public string InputOfFloatNode(NodeProto node, string tensor)
    {
        if (tensor.Length > 0 && Plan.IsFloatComputeWithWeight(node) && _float.Contains(tensor)
            && Resolve(tensor) == tensor)
            return tensor;
        return Input(tensor);
    }

    /// <summary>
    /// The float form of a tensor; in QOperator form, a DequantizeLinear of its integer form if needed.
    /// </summary>
    public string Float(string tensor)
    {
        if (_float.Contains(tensor)) return tensor;
        string t = Resolve(tensor);
        if (_float.Contains(t) && t == tensor) return t;
        var q = Int(t);
        Emit("DequantizeLinear", $"{tensor}/DequantizeLinear", new[] { q.Name, q.Scale, q.ZeroPoint },
            new[] { tensor });
        _float.Add(tensor);
        return tensor;
    }

    /// <summary>QuantizeLinear -> DequantizeLinear of a tensor (QDQ form), made once.</summary>
    public string Dequantized(string tensor)
    {
        string t = Resolve(tensor);
        if (_dq.TryGetValue(t, out var name)) return name;
        var q = Int(t);
        name = $"{t}/dq";
        Emit("DequantizeLinear", $"{t}/DequantizeLinear", new[] { q.Name, q.Scale, q.ZeroPoint }, new[] { name });
        _dq[t] = name;
        return name;
    }

    /// <summary>
    /// The integer form of a quantized tensor: a constant, an integer op's output, or a QuantizeLinear.
    /// </summary>
    public QTensorRef Int(string tensor)
    {
        string t = Resolve(tensor);
        if (_int.TryGetValue(t, out var r)) return r;
        if (!Params.TryGetValue(t, out var p))
            throw new InvalidOperationException($"tensor '{t}' is not planned for quantization");
        var (scale, zp) = ParamInitializers(t, p);
        if (Index.Initializers.TryGetValue(t, out var init))
        {
            // A constant operand: store it as integers directly, no QuantizeLinear at run time.
            var values = TensorProtos.ToFloats(init);
            var qr = QuantMath.Range(p.Type, Options.SymmetricActivations, Options.ReduceRangeActivations,
                Options.TorchSymmetricRule);
            var ints = values.Select(v => QuantMath.Quantize(v, p.Scale[0], p.ZeroPoint[0], qr)).ToArray();
            string qn = AddInitializer(IntegerTensor($"{t}/quantized", ints, p.Type, init.Dims.ToArray()));
            r = new QTensorRef(qn, scale, zp, p);
            NoteInitializerReplaced(t);
        }
        else
        {
            string src = _float.Contains(t) ? t
                : throw new InvalidOperationException($"tensor '{t}' has no float form to quantize");
            string qn = $"{t}/q";
            Emit("QuantizeLinear", $"{t}/QuantizeLinear", new[] { src, scale, zp }, new[] { qn });
            r = new QTensorRef(qn, scale, zp, p);
        }
        _int[t] = r;
        return r;
    }

    /// <summary>Declares that an integer op produced <paramref name="tensor"/> as <paramref name="name"/>.</summary>
    public void DefineInt(string tensor, string name)
    {
        var p = Params[tensor];
        var (scale, zp) = ParamInitializers(tensor, p);
        _int[tensor] = new QTensorRef(name, scale, zp, p);
    }

    public QTensorRef OutputRef(string tensor)
    {
        var p = Params[Resolve(tensor)];
        var (scale, zp) = ParamInitializers(Resolve(tensor), p);
        return new QTensorRef($"{tensor}/q", scale, zp, p);
    }

    private (string Scale, string ZeroPoint) ParamInitializers(string t, QuantParams p)
    {
        string s = $"{t}/scale", z = $"{t}/zero_point";
        if (!_initNames.Contains(s))
        {
            AddInitializer(TensorProtos.FromFloats(s, new[] { p.Scale[0] }));
            AddInitializer(IntegerTensor(z, new[] { p.ZeroPoint[0] }, p.Type));
        }
        return (s, z);
    }

    // ---- weights and biases ----

    /// <summary>
    /// An integer copy of a weight initializer (per channel along <paramref name="axis"/> when given).
    /// </summary>
    public QTensorRef Weight(string init, int? axis)
    {
        string key = $"{init}|{axis}";
        if (_weights.TryGetValue(key, out var r)) return r;
        var w = Index.Initializers[init];
        var ft = new FloatTensor(w.Dims.Select(d => (int)d).ToArray(), TensorProtos.ToFloats(w));
        var (values, p) = QuantMath.QuantizeWeight(ft, Options.WeightType, Options.SymmetricWeights,
            Options.ReduceRange ?? false, axis, Options.TorchSymmetricRule);
        string suffix = axis == null ? "" : $"_axis{axis}";
        string qn = AddInitializer(IntegerTensor($"{init}/quantized{suffix}", values, p.Type, w.Dims.ToArray()));
        long[] pdims = p.PerChannel ? new long[] { p.Scale.Length } : Array.Empty<long>();
        string sn = AddInitializer(TensorProtos.FromFloats($"{init}/scale{suffix}", p.Scale, pdims));
        string zn = AddInitializer(IntegerTensor($"{init}/zero_point{suffix}", p.ZeroPoint, p.Type, pdims));
        r = new QTensorRef(qn, sn, zn, p);
        _weights[key] = r;
        NoteInitializerReplaced(init);
        return r;
    }

    /// <summary>DequantizeLinear of a quantized weight, made once per weight.</summary>
    public string WeightDequantized(string init, int? axis)
    {
        var w = Weight(init, axis);
        string name = $"{w.Name}/dq";
        if (_float.Contains(name)) return name;
        var attrs = w.Params.Axis is int ax ? new (string, object)[] { ("axis", (long)ax) }
            : Array.Empty<(string, object)>();
        Emit("DequantizeLinear", $"{w.Name}/DequantizeLinear", new[] { w.Name, w.Scale, w.ZeroPoint }, new[] { name },
            attrs);
        _float.Add(name);
        return name;
    }

    /// <summary>An int32 bias with scale input_scale x weight_scale and zero point 0.</summary>
    public QTensorRef Bias(string init, float inputScale, QuantParams weight)
    {
        var b = TensorProtos.ToFloats(Index.Initializers[init]);
        var (values, scales) = QuantMath.QuantizeBias(b, inputScale, weight.Scale);
        string qn = AddInitializer(TensorProtos.FromInt32($"{init}/quantized", values, values.Length));
        long[] pdims = scales.Length > 1 ? new long[] { scales.Length } : Array.Empty<long>();
        string sn = AddInitializer(TensorProtos.FromFloats($"{init}/scale", scales, pdims));
        string zn = AddInitializer(TensorProtos.FromInt32($"{init}/zero_point", new int[scales.Length], pdims));
        NoteInitializerReplaced(init);
        return new QTensorRef(qn, sn, zn,
            new QuantParams(scales, new int[scales.Length], QuantType.S8, scales.Length > 1 ? 0 : null));
    }

    public string BiasDequantized(string init, float inputScale, QuantParams weight)
    {
        var b = Bias(init, inputScale, weight);
        string name = $"{b.Name}/dq";
        var attrs = b.Params.Axis != null ? new (string, object)[] { ("axis", 0L) } : Array.Empty<(string, object)>();
        Emit("DequantizeLinear", $"{b.Name}/DequantizeLinear", new[] { b.Name, b.Scale, b.ZeroPoint }, new[] { name },
            attrs);
        _float.Add(name);
        return name;
    }

    private void NoteInitializerReplaced(string init) => ReplacedInitializers.Add(init);

    public static TensorProto IntegerTensor(string name, int[] values, QuantType type, params long[] dims) =>
        type == QuantType.S8
        ? TensorProtos.FromInt8(name, values.Select(v => (sbyte)v).ToArray(), dims)
        : TensorProtos.FromUInt8(name, values.Select(v => (byte)v).ToArray(), dims);

    public string AddInitializer(TensorProto t)
    {
        if (!_initNames.Add(t.Name)) return t.Name;
        NewInitializers.Add(t);
        return t.Name;
    }

    // ---- nodes ----

    public NodeProto Emit(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs,
        (string Key, object Value)[]? attributes = null, string domain = "")
    {
        var n = new NodeProto { OpType = op, Name = name, Domain = domain };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        if (attributes != null) foreach (var (k, v) in attributes) n.Attribute.Add(GraphBuilder.Attr(k, v));
        if (domain == "com.microsoft") UsesMicrosoftDomain = true;
        foreach (var i in n.Input) CountUse(i);
        Nodes.Add(n);
        return n;
    }

    /// <summary>Copies a node with new inputs (and outputs), keeping its name, op, domain and attributes.</summary>
    public NodeProto EmitCopy(NodeProto original, IEnumerable<string> inputs, IEnumerable<string>? outputs = null)
    {
        var n = new NodeProto { OpType = original.OpType, Name = original.Name, Domain = original.Domain };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs ?? original.Output);
        n.Attribute.AddRange(original.Attribute.Select(a => a.Clone()));
        // A body reads outer-scope values without listing them as inputs: they are uses too.
        foreach (var i in n.Input.Concat(Subgraphs.Of(n).SelectMany(Subgraphs.OuterReads)))
            CountUse(i);
        Nodes.Add(n);
        foreach (var o in n.Output) if (outputs == null) _float.Add(o);
        return n;
    }

    private void CountUse(string name) => CollectionsMarshal.GetValueRefOrAddDefault(_floatUses, name, out _)++;

    /// <summary>
    /// Whether any emitted node still reads this name (a replaced float initializer may still be needed).
    /// </summary>
    public bool IsRead(string name) => _floatUses.ContainsKey(name) || Index.GraphOutputs.Contains(name);
}
