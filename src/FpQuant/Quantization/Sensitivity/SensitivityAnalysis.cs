using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>One quantizable layer (a module path) and what quantizing it costs.</summary>
public sealed record LayerSensitivity(string Layer, List<string> Nodes, OutputFidelity OnlyThisQuantized, OutputFidelity AllButThisQuantized);

/// <summary>SQNR of one activation in the fully quantized model against float, matched by name through its Q/DQ pair.</summary>
public sealed record TensorSqnr(string Tensor, double SqnrDb);

public sealed record SensitivityReport(
    string Model,
    string Network,
    QuantizationOptions Options,
    string Calibration,
    OutputFidelity FullyQuantized,
    List<LayerSensitivity> Layers,
    List<TensorSqnr> Tensors,
    double Seconds);

/// <summary>
/// Per-layer sensitivity: calibrate once, then build and run one model per layer with only that layer quantized and
/// one with only that layer float; plus the per-tensor SQNR of the fully quantized model. Layers are module paths
/// (a node name up to its first '/'), so attention internals count with their module.
/// </summary>
public sealed class SensitivityAnalysis
{
    private readonly ModelProto _model;
    private readonly string _source;
    private readonly QuantizationOptions _options;
    private readonly CalibrationSource _calibration;
    private readonly RuntimeSettings _settings;
    private readonly NetworkKind? _kind;
    private readonly List<Dictionary<string, InputTensor>> _eval;
    private readonly Dictionary<string, CalibrationRange> _ranges;
    private readonly List<List<(string, FloatTensor)>> _reference;

    public SensitivityAnalysis(ModelProto model, string source, QuantizationOptions options, CalibrationSource calibration, RuntimeSettings settings, int evalBatches = 1)
    {
        if (options.Mode != QuantMode.Static)
            throw new FpQuantException("sensitivity analysis works on static quantization: use a static preset or --mode static");
        _model = model;
        _source = source;
        _options = options.WithResolvedReduceRange(settings.Provider);
        _calibration = calibration;
        _settings = settings;
        try { _kind = ModelSignature.Of(model, source).Kind; } catch (FpQuantException) { _kind = null; }
        _eval = calibration.Batches(model, source).Take(evalBatches).ToList();
        if (_eval.Count == 0) throw new FpQuantException("the calibration source gave no batches to evaluate on");
        // Calibrated once, for every tensor that any partial plan could quantize.
        _ranges = Calibrator.Collect(model, source, AllPlannable(model).ToList(), calibration, _options, settings);
        _reference = Run(model, _eval);
    }

    public NetworkKind? Kind => _kind;
    public ModelProto FloatModel => _model;
    public OutputFidelity Evaluate(ModelProto quantized) => OutputFidelity.Compare(_kind, _reference, Run(quantized, _eval));
    public IReadOnlyList<Dictionary<string, InputTensor>> EvalBatches => _eval;

    /// <summary>Builds the model quantized with <paramref name="o"/>, reusing the ranges calibrated once.</summary>
    public ModelProto Build(QuantizationOptions o) =>
        StaticQuantizer.Rewrite(_model, QuantizationPlan.Make(_model.Graph, o with { ReduceRange = _options.ReduceRange }), _ranges);

    private HashSet<string> AllPlannable(ModelProto model)
    {
        // Tensors that the plan with every op selected and no exclusions would calibrate, plus Relu inputs
        // (a partial plan that leaves the Relu float needs the producer's own range).
        var plan = QuantizationPlan.Make(model.Graph, _options with { Include = [], Exclude = [] });
        var set = new HashSet<string>(plan.TensorsToCalibrate(), StringComparer.Ordinal);
        foreach (var n in model.Graph.Node.Where(n => n.OpType == "Relu")) { set.Add(n.Input[0]); set.Add(n.Output[0]); }
        foreach (var t in plan.Tensors.Keys) if (plan.Index.Producer.ContainsKey(t) || plan.Index.GraphInputs.Contains(t)) set.Add(t);
        return set;
    }

    /// <summary>The layer key of a node: its module path, the name up to the first '/'.</summary>
    public static string LayerOf(string node) { int i = node.IndexOf('/'); return i < 0 ? node : node[..i]; }

    /// <summary>Layers that hold compute (Conv, MatMul, Gemm) among the nodes the options would quantize.</summary>
    public List<(string Layer, List<string> Nodes)> Layers()
    {
        var plan = QuantizationPlan.Make(_model.Graph, _options);
        var byName = _model.Graph.Node.ToDictionary(n => n.Name);
        return plan.QuantizedNodes.Keys.GroupBy(LayerOf)
            .Where(g => g.Any(n => byName[n].OpType is "Conv" or "MatMul" or "Gemm"))
            .Select(g => (g.Key, g.ToList())).ToList();
    }

    public SensitivityReport Analyze(IProgress<string>? progress = null)
    {
        var sw = Stopwatch.StartNew();
        var layers = Layers();
        var full = Build(_options);
        var fullFidelity = Evaluate(full);
        var results = new List<LayerSensitivity>();
        int k = 0;
        foreach (var (layer, nodes) in layers)
        {
            progress?.Report($"layer {++k}/{layers.Count}: {layer}");
            var only = Build(_options with { Include = [layer, layer + "/*"] });
            var allBut = Build(_options with { Exclude = _options.Exclude.Concat(new[] { layer, layer + "/*" }).ToList() });
            results.Add(new LayerSensitivity(layer, nodes, Evaluate(only), Evaluate(allBut)));
        }
        results = results.OrderBy(r => r.OnlyThisQuantized.SqnrDb).ToList();
        progress?.Report("per-tensor SQNR");
        var tensors = TensorSqnrs(full);
        return new SensitivityReport(Path.GetFileName(_source), _kind?.ClassName() ?? "generic", _options, _calibration.Description, fullFidelity, results, tensors, sw.Elapsed.TotalSeconds);
    }

    /// <summary>Every quantized activation of the full model against float: its dequantized copy vs the float tensor.</summary>
    public List<TensorSqnr> TensorSqnrs(ModelProto quantized)
    {
        var dqOutputs = quantized.Graph.Node.Where(n => n.OpType == "DequantizeLinear" && n.Output[0].EndsWith("/dq", StringComparison.Ordinal))
            .Select(n => n.Output[0]).Where(o => _model.Graph.Node.Any(x => x.Output.Contains(o[..^3])) || new GraphIndex(_model.Graph).GraphInputs.Contains(o[..^3]))
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
        var f = RunWithOutputs(_model, _eval[0], floatNames);
        var q = RunWithOutputs(quantized, _eval[0], dqOutputs);
        var list = new List<TensorSqnr>();
        for (int i = 0; i < floatNames.Count; i++)
            if (f.TryGetValue(floatNames[i], out var a) && q.TryGetValue(dqOutputs[i], out var b) && a.Length == b.Length)
                list.Add(new TensorSqnr(dqOutputs[i][..^3], QuantMath.Sqnr(a, b)));
        return list.OrderBy(t => t.SqnrDb).ToList();
    }

    private Dictionary<string, float[]> RunWithOutputs(ModelProto m, Dictionary<string, InputTensor> batch, List<string> names)
    {
        var aug = m.Clone();
        var existing = aug.Graph.Output.Select(o => o.Name).ToHashSet();
        var inputs = aug.Graph.Input.Select(i => i.Name).ToHashSet();
        var wanted = names.Where(n => !inputs.Contains(n)).ToList();
        foreach (var n in wanted.Where(n => !existing.Contains(n)))
            aug.Graph.Output.Add(new ValueInfoProto { Name = n, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        using var so = _settings.CreateSessionOptions();
        using var s = new InferenceSession(aug.ToByteArray(), so);
        var d = new Dictionary<string, float[]>(StringComparer.Ordinal);
        SessionRun.Run(s, batch, wanted, (_, name, data, _) => d[name] = data.ToArray());
        foreach (var n in names.Where(inputs.Contains)) d[n] = batch[n].AsFloat().Data;
        return d;
    }

    private List<List<(string, FloatTensor)>> Run(ModelProto m, IReadOnlyList<Dictionary<string, InputTensor>> batches)
    {
        using var so = _settings.CreateSessionOptions();
        using var s = new InferenceSession(m.ToByteArray(), so);
        var outNames = s.OutputMetadata.Keys.ToArray();
        return batches.Select(b => SessionRun.Run(s, b, outNames)).ToList();
    }

    /// <summary>Median seconds of one run of a model over the evaluation batches, after one warm-up run.</summary>
    public double MeasureLatency(ModelProto m, int repeats = 3)
    {
        using var so = _settings.CreateSessionOptions();
        using var s = new InferenceSession(m.ToByteArray(), so);
        var outNames = s.OutputMetadata.Keys.ToArray();
        var batch = _eval[0];
        SessionRun.Run(s, batch, outNames, (_, _, _, _) => { });
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            SessionRun.Run(s, batch, outNames, (_, _, _, _) => { });
            times.Add(sw.Elapsed.TotalSeconds);
        }
        return FpQuant.Benchmark.Summary.Of(times).Median;
    }
}
