using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Google.Protobuf;
using Onnx;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// Per-layer sensitivity: calibrate once, then build and run one model per layer with only that layer quantized and
/// one with only that layer float; plus the per-tensor SQNR of the fully quantized model. Layers are module paths
/// (a node name up to its first '/'), so attention internals count with their module.
/// </summary>
internal sealed class SensitivityAnalysis
{
    private readonly ModelProto _model;
    private readonly ModelProto _original;
    private readonly string _source;
    private readonly QuantizationOptions _options;
    private readonly EvaluationData _data;
    private readonly RuntimeSettings _settings;
    private readonly Dictionary<string, CalibrationRange> _ranges;
    private readonly List<List<(string, FloatTensor)>> _reference;
    private readonly List<List<(string, FloatTensor)>> _heldOutReference;

    /// <param name="metric">Model-specific fidelity (FoundationPose's networks), or null for the generic values
    /// only.</param>
    public SensitivityAnalysis(ModelProto model, string source, QuantizationOptions options, EvaluationData data,
        RuntimeSettings settings, IFidelityMetric? metric = null)
    {
        if (options.Mode is not (QuantMode.Static or QuantMode.Dynamic))
            throw new FpQuantException($"sensitivity analysis works on static or dynamic quantization, not " +
                $"{options.Mode.ToString().ToLowerInvariant()}: use a static or dynamic preset");
        // Variants are built from the model as the quantizer prepares it (opset raised, constants folded, BatchNorm
        // folded into its Conv); fidelity is measured against the model as given.
        _original = model;
        // Outlier smoothing (when the recipe asks for it) is part of the model every variant is built from.
        var smoothing = Smoothing.SmoothingPass.Apply(Preprocessing.ModelPreprocessor.Prepare(model, source, settings)
            .Model, source,
            options.WithResolvedReduceRange(settings.Provider), data.Calibration, settings);
        _options = smoothing.Options;
        _model = smoothing.Result.Model;
        model = _model;
        _source = source;
        _data = data;
        _settings = settings;
        Metric = metric;
        // Calibrated once, for every tensor that any partial plan could quantize; dynamic quantization measures its
        // activations on every run and needs no ranges.
        _ranges = _options.Mode == QuantMode.Static && _options.Modes.Count == 0
            || _options.Modes.Any(r => r.Mode == Mixed.NodeMode.Static)
            ? Calibrator.Collect(model, source, AllPlannable(model).ToList(), data.Calibration, _options, settings)
            : new Dictionary<string, CalibrationRange>(StringComparer.Ordinal);
        _reference = Run(_original, data.Search, "the float model");
        _heldOutReference = Run(_original, data.HeldOut, "the float model");
    }

    /// <summary>
    /// The search group is the first <paramref name="evalBatches"/> calibration batches; nothing is held out.
    /// </summary>
    public SensitivityAnalysis(ModelProto model, string source, QuantizationOptions options, InputSource calibration,
        RuntimeSettings settings, int evalBatches = 1)
        : this(model, source, options, EvaluationData.SearchOnly(model, source, calibration, evalBatches), settings) { }

    public IFidelityMetric? Metric { get; }
    /// <summary>The recipe as analysed: reduce-range resolved, smoothing's inserted Muls kept float.</summary>
    public QuantizationOptions Options => _options;
    public IEnumerable<MetricKey> MetricKeys => Metric?.Keys ?? Array.Empty<MetricKey>();
    /// <summary>The model as given: the float reference.</summary>
    public ModelProto FloatModel => _original;
    public EvaluationData Data => _data;
    public bool HasHeldOut => _data.HeldOut.Count > 0;

    /// <summary>Fidelity on the search group.</summary>
    public OutputFidelity Evaluate(ModelProto quantized) =>
        OutputFidelity.Compare(_data.Search, _reference, Run(quantized, _data.Search, "the quantized model"), Metric);

    /// <summary>Fidelity on the held-out samples, or null when there are none.</summary>
    public OutputFidelity? EvaluateHeldOut(ModelProto quantized) => HasHeldOut
        ? OutputFidelity.Compare(_data.HeldOut, _heldOutReference, Run(quantized, _data.HeldOut, "the quantized model"),
            Metric)
        : null;

    public IReadOnlyList<Dictionary<string, InputTensor>> EvalBatches => _data.Search;

    /// <summary>Builds the model quantized with <paramref name="o"/>, reusing the ranges calibrated once.</summary>
    public ModelProto Build(QuantizationOptions o)
    {
        o = o with { ReduceRange = _options.ReduceRange };
        if (o.Modes.Count > 0) return Mixed.MixedQuantizer.Rewrite(_model, o, _ranges).Model;
        return o.Mode == QuantMode.Dynamic
            ? DynamicQuantizer.Quantize(_model, o).Model
            : StaticQuantizer.Rewrite(_model, QuantizationPlan.Make(_model.Graph, o), _ranges).Model;
    }

    private HashSet<string> AllPlannable(ModelProto model)
    {
        // Tensors that the plan with every op selected and no exclusions would calibrate, plus Relu inputs
        // (a partial plan that leaves the Relu float needs the producer's own range).
        // A mixed recipe's static nodes may be any op the static handlers know.
        var plan = QuantizationPlan.Make(model.Graph, _options.Modes.Count > 0
            ? _options with { Mode = QuantMode.Static, Modes = [], OpTypes = null, Include = [], Exclude = [] }
            : _options with { Include = [], Exclude = [] });
        var set = new HashSet<string>(plan.TensorsToCalibrate(), StringComparer.Ordinal);
        foreach (var n in model.Graph.Node.Where(n =>
            n.OpType == "Relu")) { set.Add(n.Input[0]); set.Add(n.Output[0]); }
        foreach (var t in plan.Tensors.Keys)
            if (plan.Index.Producer.ContainsKey(t) || plan.Index.GraphInputs.Contains(t)) set.Add(t);
        return set;
    }

    /// <summary>
    /// The layer key of a node: its module path. Names written by fpquant's exports are "module.path/op", so the path
    /// ends at the first '/'; torch.onnx exports write "/encoder/layer.0/attention/self/query/MatMul", so a name that
    /// starts with '/' ends its path at the last '/'. A name without '/' is its own layer.
    /// </summary>
    public static string LayerOf(string node)
    {
        if (node.StartsWith('/')) { int last = node.LastIndexOf('/'); return last <= 0 ? node : node[..last]; }
        int i = node.IndexOf('/');
        return i < 0 ? node : node[..i];
    }

    /// <summary>
    /// The include/exclude patterns that select exactly a group's nodes: "layer" and "layer/*" when the group is a
    /// whole module path (every node under it, no other group's path below it), else its node names.
    /// </summary>
    public static List<string> Patterns(string layer, IReadOnlyList<string> nodes, IEnumerable<string> allLayers) =>
        nodes.All(n => LayerOf(n) == layer)
            && !allLayers.Any(l => l != layer && l.StartsWith(layer + "/", StringComparison.Ordinal))
            ? new List<string> { layer, layer + "/*" }
            : nodes.Select(NodeSelector.ForName).ToList();

    /// <summary>Every quantized node of the recipe, compute and element-wise, in the groups a search keeps float
    /// together (<see cref="QuantizationGroups"/>): attention blocks, residual Adds with their norms, convolutions
    /// with their Relu and Add, and the rest; then, for a recipe with static nodes and unless
    /// <see cref="TensorPoints"/> is off, the Q/DQ pairs of activation tensors as points of their own
    /// (<see cref="QuantizationGroups.TensorPoints"/>).</summary>
    public List<(string Layer, List<string> Nodes)> Layers() => Groups().Select(g => (g.Name, g.Nodes)).ToList();

    /// <summary>Whether <see cref="Groups"/> includes tensor points (on unless a search must stay within fewer
    /// trials than they need).</summary>
    public bool TensorPoints { get; set; } = true;

    private List<QuantizationGroup>? _nodeGroups, _tensorPoints;
    private Dictionary<string, QuantParams>? _staticParams;

    /// <summary>The groups and points a search may keep float, in the order the report lists them before ranking.
    /// </summary>
    public List<QuantizationGroup> Groups()
    {
        _nodeGroups ??= QuantizationGroups.Of(_model.Graph, QuantizedNodes(_options));
        if (!TensorPoints) return _nodeGroups;
        _tensorPoints ??= StaticPlan(_options) is { } plan ? QuantizationGroups.TensorPoints(plan, _nodeGroups)
            : new List<QuantizationGroup>();
        return _nodeGroups.Concat(_tensorPoints).ToList();
    }

    /// <summary>The tensors a tensor point keeps float; empty for a node group (or a name that is none).</summary>
    public IReadOnlyList<string> TensorsOf(string group) =>
        (_tensorPoints ?? []).FirstOrDefault(g => g.Name == group)?.Tensors ?? Array.Empty<string>();

    /// <summary><paramref name="o"/> with these groups and points kept float: a node group's nodes excluded, a tensor
    /// point's tensors kept float.</summary>
    public QuantizationOptions KeepFloat(QuantizationOptions o, IEnumerable<string> groups,
        IReadOnlyDictionary<string, List<string>> nodesOf, IReadOnlyCollection<string> allGroups)
    {
        var list = groups.ToList();
        return o with
        {
            Exclude = o.Exclude.Concat(list.Where(l => TensorsOf(l).Count == 0)
                .SelectMany(l => Patterns(l, nodesOf[l], allGroups))).ToList(),
            FloatTensors = o.FloatTensors.Concat(list.SelectMany(TensorsOf).Select(NodeSelector.ForName)).ToList(),
        };
    }

    /// <summary>The plan of the recipe's static nodes; null when it has none.</summary>
    private QuantizationPlan? StaticPlan(QuantizationOptions o)
    {
        if (o.Modes.Count > 0)
            return Mixed.MixedQuantizer.StaticPart(o, Mixed.MixedQuantizer.Assign(_model.Graph, o)) is { } part
                ? QuantizationPlan.Make(_model.Graph, part) : null;
        return o.Mode == QuantMode.Static ? QuantizationPlan.Make(_model.Graph, o) : null;
    }

    /// <summary>A tensor point quantized alone: the float model with one Q/DQ pair on the point's tensor (its scale
    /// and zero point as the full recipe's), read by every node that read the tensor.</summary>
    private ModelProto OnlyTensorQuantized(QuantizationGroup point)
    {
        _staticParams ??= RewriteContext.ComputeParams(StaticPlan(_options)!, _ranges);
        string t = point.Tensors[^1];
        var p = _staticParams[t];
        var m = _model.Clone();
        var g = m.Graph;
        string scale = $"{t}/scale", zeroPoint = $"{t}/zero_point", q = $"{t}/q", dq = $"{t}/dq";
        g.Initializer.Add(TensorProtos.FromFloats(scale, new[] { p.Scale[0] }));
        g.Initializer.Add(RewriteContext.IntegerTensor(zeroPoint, new[] { p.ZeroPoint[0] }, p.Type));
        int at = 0;
        for (int k = 0; k < g.Node.Count; k++)
        {
            var n = g.Node[k];
            if (n.Output.Contains(t)) at = k + 1;
            for (int i = 0; i < n.Input.Count; i++) if (n.Input[i] == t) n.Input[i] = dq;
        }
        var quantize = new NodeProto { OpType = "QuantizeLinear", Name = $"{t}/QuantizeLinear" };
        quantize.Input.AddRange(new[] { t, scale, zeroPoint });
        quantize.Output.Add(q);
        var dequantize = new NodeProto { OpType = "DequantizeLinear", Name = $"{t}/DequantizeLinear" };
        dequantize.Input.AddRange(new[] { q, scale, zeroPoint });
        dequantize.Output.Add(dq);
        g.Node.Insert(at, dequantize);
        g.Node.Insert(at, quantize);
        return m;
    }

    /// <summary>
    /// The nodes a recipe makes integer, as its own rewrite decides (dynamic handlers accept only a constant weight).
    /// </summary>
    private List<string> QuantizedNodes(QuantizationOptions o) => o.Modes.Count > 0
        ? Mixed.MixedQuantizer.Rewrite(_model, o, _ranges)
            .NodeModes!.Where(kv => kv.Value is Mixed.NodeMode.Static or Mixed.NodeMode.Dynamic).Select(kv => kv.Key)
            .ToList()
        : o.Mode == QuantMode.Dynamic
            ? DynamicQuantizer.Quantize(_model, o).NodeNames
            : QuantizationPlan.Make(_model.Graph, o).QuantizedNodes.Keys.ToList();

    public SensitivityReport Analyze(IProgress<string>? progress = null)
    {
        var sw = Stopwatch.StartNew();
        var full = Build(_options);
        var fullFidelity = Evaluate(full);
        var fullHeldOut = EvaluateHeldOut(full);
        var results = new List<LayerSensitivity>();
        int k = 0;
        var groups = Groups();
        var names = groups.Select(g => g.Name).ToList();
        var nodesOf = groups.ToDictionary(g => g.Name, g => g.Nodes, StringComparer.Ordinal);
        foreach (var g in groups)
        {
            progress?.Report($"layer {++k}/{groups.Count}: {g.Name}");
            var only = g.Tensors.Count > 0 ? OnlyTensorQuantized(g)
                : Build(_options with { Include = Patterns(g.Name, g.Nodes, names) });
            var allBut = Build(KeepFloat(_options, [g.Name], nodesOf, names));
            results.Add(new LayerSensitivity(g.Name, g.Nodes, Evaluate(only), Evaluate(allBut)));
        }
        results = results.OrderBy(r => r.OnlyThisQuantized.SqnrDb).ToList();
        progress?.Report("per-tensor SQNR");
        var tensors = TensorSqnrs(full);
        return new SensitivityReport(Path.GetFileName(_source), NetworkName, _options, _data.Calibration.Description,
            _data.HeldOutDescription,
            _data.SearchSamples, _data.HeldOutSamples, fullFidelity, fullHeldOut, results, tensors,
            sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Every quantized activation of the full model against float: its dequantized copy vs the float tensor.
    /// </summary>
    public List<TensorSqnr> TensorSqnrs(ModelProto quantized)
    {
        var dqOutputs = quantized.Graph.Node.Where(n => n.OpType == "DequantizeLinear"
            && n.Output[0].EndsWith("/dq", StringComparison.Ordinal))
            .Select(n => n.Output[0])
            .Where(o => _model.Graph.Node.Any(x => x.Output.Contains(o[..^3]))
                || new GraphIndex(_model.Graph).GraphInputs.Contains(o[..^3]))
            .ToList();
        if (dqOutputs.Count == 0) return new();
        // A Relu folded into its producer's quantization makes the quantized tensor stand for the Relu's output:
        // compare it with that, not with the pre-Relu float tensor.
        var index = new GraphIndex(_model.Graph);
        var kept = quantized.Graph.Node.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        string FloatCounterpart(string t)
        {
            var c = index.ConsumersOf(t);
            return c.Count == 1 && c[0].OpType == "Relu" && !kept.Contains(c[0].Name) ? c[0].Output[0] : t;
        }
        var floatNames = dqOutputs.Select(o => FloatCounterpart(o[..^3])).ToList();
        var f = RunWithOutputs(_model, _data.Search[0], floatNames);
        var q = RunWithOutputs(quantized, _data.Search[0], dqOutputs);
        var list = new List<TensorSqnr>();
        for (int i = 0; i < floatNames.Count; i++)
            if (f.TryGetValue(floatNames[i], out var a) && q.TryGetValue(dqOutputs[i], out var b)
                && a.Length == b.Length)
                list.Add(new TensorSqnr(dqOutputs[i][..^3], QuantMath.Sqnr(a, b)));
        return list.OrderBy(t => t.SqnrDb).ToList();
    }

    private Dictionary<string, float[]> RunWithOutputs(ModelProto m, Dictionary<string, InputTensor> batch,
        List<string> names)
    {
        var inputs = m.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var wanted = names.Where(n => !inputs.Contains(n)).Distinct().ToList();
        var d = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (wanted.Count > 0)
        {
            var aug = ExtraOutputs.Copy(m, wanted, "sensitivity").Model;
            using var runner = new ModelRunner(aug.ToByteArray(),
                $"{Path.GetFileName(_source)} with its activations as outputs", _settings);
            foreach (var (name, value) in runner.Run(batch, wanted)) d[name] = value.Data;
        }
        foreach (var n in names.Where(inputs.Contains)) if (batch[n].Data is float[] f) d[n] = f;
        return d;
    }

    private List<List<(string, FloatTensor)>> Run(ModelProto m, IReadOnlyList<Dictionary<string, InputTensor>> batches,
        string what)
    {
        if (batches.Count == 0) return new();
        using var runner = new ModelRunner(m.ToByteArray(), $"{what} ({Path.GetFileName(_source)})", _settings);
        return batches.Select(b => runner.Run(b)).ToList();
    }

    /// <summary>What the model is, as its metric names it (e.g. "ScoreNetMultiPair"), else "generic".</summary>
    public string NetworkName => Metric?.ModelName ?? "generic";

    /// <summary>Median seconds of one run of a model on the first search batch, after one warm-up run.</summary>
    public double MeasureLatency(ModelProto m, int repeats = 3)
    {
        using var runner = new ModelRunner(m.ToByteArray(), $"a variant of {Path.GetFileName(_source)}", _settings);
        var batch = _data.Search[0];
        runner.Run(batch);
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            runner.Run(batch);
            times.Add(sw.Elapsed.TotalSeconds);
        }
        times.Sort();
        return times.Count % 2 == 1 ? times[times.Count / 2]
            : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
    }
}
