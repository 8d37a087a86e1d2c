using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Runtime;
using Google.Protobuf;
using Onnx;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>What autoquant is asked to do.</summary>
internal sealed record AutoQuantRequest
{
    public required FidelityBudget Budget { get; init; }
    /// <summary>The recipes to start from; null tries every base that applies (<see cref="AutoQuantBases"/>).</summary>
    public IReadOnlyList<(string Name, QuantizationOptions Options)>? Bases { get; init; }
    /// <summary>Smoothing strengths tried on every base with integer MatMul/Gemm nodes, besides no smoothing.</summary>
    public IReadOnlyList<double> SmoothingAlphas { get; init; } = DefaultSmoothingAlphas;
    /// <summary>The smoothing strengths tried unless the request names others.</summary>
    public static readonly IReadOnlyList<double> DefaultSmoothingAlphas = [0.5, 0.65, 0.8];
    /// <summary>Also try smoothing with its own alpha per layer (<see cref="QuantizationOptions.SmoothingPerLayer"/>)
    /// on every base with integer MatMul/Gemm nodes, named "BASE+smooth-per-layer" (the CLI's and the facade's
    /// default; off unless asked, so a request that names no alphas tries no smoothing).</summary>
    public bool SmoothingPerLayer { get; init; }
    /// <summary>
    /// At most this many quantized models are built and evaluated (candidates and layer search together).
    /// </summary>
    public int MaxTrials { get; init; } = 200;
    /// <summary>Alternating latency rounds (after one warm-up run each); medians.</summary>
    public int LatencyRounds { get; init; } = 7;
    /// <summary>Also return the model of the best candidate when none meets the budget faster than float.</summary>
    public bool BestEffort { get; init; }
}

/// <summary>One recipe tried: its fidelity on the search group and the held-out samples, how many nodes it makes
/// integer, its measured latency (NaN when not measured: only candidates within the budget are timed), and the layers
/// a search kept float.</summary>
/// <param name="Name">The recipe's name, e.g. "static+smooth0.5" or "static, 2 layer(s) float".</param>
/// <param name="Options">The recipe.</param>
/// <param name="Search">Fidelity on the search group.</param>
/// <param name="HeldOut">Fidelity on the held-out samples; null when there are none.</param>
/// <param name="WithinBudget">Whether both hold the budget.</param>
/// <param name="IntegerNodes">Nodes that quantize or compute in integers.</param>
/// <param name="FloatLayers">The layers a layer search kept float (empty for a whole recipe).</param>
public sealed record AutoQuantCandidate(string Name, QuantizationOptions Options, OutputFidelity Search,
    OutputFidelity? HeldOut, bool WithinBudget, int IntegerNodes, IReadOnlyList<string> FloatLayers)
{
    /// <summary>Median seconds per batch; NaN when not timed (only candidates within the budget are).</summary>
    public double LatencySeconds { get; internal set; } = double.NaN;
}

/// <summary>
/// autoquant's answer: every candidate with its fidelity and latency, the float model's latency in the same
/// alternating run, the chosen candidate (null when none is within the budget and faster than float), the model
/// quantized with it (or with the best effort when asked), and the layer sensitivity when a search needed it.
/// </summary>
internal sealed record AutoQuantOutcome(IReadOnlyList<AutoQuantCandidate> Candidates, double FloatLatencySeconds,
    AutoQuantCandidate? Chosen,
    AutoQuantCandidate? BestEffort, QuantizationResult? Model, SensitivityReport? Sensitivity,
    IReadOnlyList<string> Log, int Trials, double Seconds)
{
    public bool Met => Chosen != null;
}

/// <summary>
/// Finds the fastest recipe whose fidelity holds: every base (or the given preset), with and without outlier
/// smoothing at each strength, is built and judged on the search group and on held-out samples; when none holds,
/// the most faithful one is searched layer by layer (<see cref="AutoQuantizer"/>: the most sensitive layers back to
/// float until the budget holds, then every float layer the budget does not need back to int8). Every candidate
/// within the budget and the float model are then timed together in alternating rounds, and the fastest that beats
/// float is chosen. Fewer float layers is never assumed to be faster.
/// </summary>
public static partial class AutoQuant
{
    /// <summary>What a candidate smoothed with one alpha per layer adds to its base's name.</summary>
    internal const string PerLayerSuffix = "smooth-per-layer";

    internal static AutoQuantOutcome Run(ModelProto model, string source, EvaluationData data, AutoQuantRequest request,
        RuntimeSettings settings, IFidelityMetric? metric = null, IProgress<string>? progress = null)
    {
        if (request.MaxTrials < 1) throw new FpQuantException($"MaxTrials must be at least 1, got {request.MaxTrials}");
        var sw = Stopwatch.StartNew();
        var log = new List<string>();
        var prepared = Preprocessing.ModelPreprocessor.Prepare(model, source, settings).Model;
        var bases = request.Bases ?? AutoQuantBases.For(prepared.Graph);
        if (bases.Count == 0)
            throw new FpQuantException($"{source} has no Conv, MatMul or Gemm with a constant weight: int8 has " +
                $"nothing to speed up");
        var plan = new List<(string Name, QuantizationOptions Options)>();
        foreach (var (name, o) in bases)
        {
            plan.Add((name, o));
            if (o.Smooths || !AutoQuantBases.HasSmoothableNodes(prepared.Graph, o)) continue;
            foreach (var a in request.SmoothingAlphas)
                plan.Add(($"{name}+smooth{a.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                    o with { SmoothingAlpha = a }));
            if (request.SmoothingPerLayer) plan.Add(($"{name}+{PerLayerSuffix}", o with { SmoothingPerLayer = true }));
        }
        var keys = metric?.Keys ?? Array.Empty<MetricKey>();
        bool Holds(OutputFidelity f) => request.Budget.Holds(f, keys);
        int trials = 0, planned = Math.Min(request.MaxTrials, plan.Count);
        void Report(string what)
        {
            double perTrial = trials == 0 ? 0 : sw.Elapsed.TotalSeconds / trials;
            double left = perTrial * Math.Max(0, planned - trials);
            progress?.Report($"trial {trials}/{planned}, about {TimeSpan.FromSeconds(left):m\\:ss} left: {what}");
        }

        var candidates = new List<AutoQuantCandidate>();
        var analyses = new Dictionary<string, SensitivityAnalysis>(StringComparer.Ordinal);
        string? bestName = null;
        double bestCloseness = double.NegativeInfinity;
        foreach (var (name, o) in plan)
        {
            if (trials >= request.MaxTrials) { log.Add($"MaxTrials {request.MaxTrials} reached: {name} and later " +
                $"candidates not tried"); break; }
            var sa = new SensitivityAnalysis(model, source, o, data, settings, metric);
            var q = sa.Build(sa.Options);
            var f = sa.Evaluate(q);
            trials++;
            if (candidates.Count == 0)
            {
                request.Budget.CheckApplies(f, Path.GetFileName(source));
                foreach (var k in request.Budget.NotApplicable(f))
                    log.Add($"budget key '{k}' is not measured for this model; it is ignored");
            }
            var held = sa.EvaluateHeldOut(q);
            var c = new AutoQuantCandidate(name, sa.Options with { ReduceRange = o.ReduceRange }, f, held,
                Holds(f) && (held == null || Holds(held)), IntegerNodes(q), Array.Empty<string>());
            candidates.Add(c);
            // Analyses are large (a prepared copy of the model, ranges, float outputs): kept only for candidates
            // that will be timed and for the most faithful one, which a layer search may need.
            double closeness = Closeness(f, request.Budget, keys);
            if (c.WithinBudget) analyses[name] = sa;
            else if (bestName == null || closeness > bestCloseness)
            {
                if (bestName != null && !candidates.Single(x => x.Name == bestName).WithinBudget)
                    analyses.Remove(bestName);
                (bestName, bestCloseness) = (name, closeness);
                analyses[name] = sa;
            }
            log.Add($"{name}: {c.IntegerNodes} integer nodes; search group {f}; held-out " +
                $"{held?.ToString() ?? "none"} -> {(c.WithinBudget ? "within budget" : "outside the budget")}");
            Report($"{name} {(c.WithinBudget ? "holds" : "does not hold")}");
        }

        SensitivityReport? sensitivity = null;
        if (!candidates.Any(c => c.WithinBudget && c.IntegerNodes > 0) && candidates.Count > 0)
        {
            // The most faithful candidate, searched layer by layer.
            var best = candidates.Single(c => c.Name == bestName);
            var sa = analyses[best.Name];
            int layers = sa.Layers().Count;
            if (trials + 2 * layers + 1 > request.MaxTrials && sa.TensorPoints)
            {
                // Tensor points cost two trials each: a search that cannot afford them searches the node groups.
                sa.TensorPoints = false;
                int groups = sa.Layers().Count;
                log.Add($"tensor points of {best.Name} left out: {layers} points and groups exceed MaxTrials " +
                    $"{request.MaxTrials}; searching its {groups} node groups");
                layers = groups;
            }
            if (trials + 2 * layers + 1 > request.MaxTrials)
                log.Add($"no candidate holds; a layer search on {best.Name} needs about {2 * layers + 2} trials, " +
                    $"beyond MaxTrials {request.MaxTrials}");
            else
            {
                planned = trials + 2 * layers + Math.Min(layers, 8) + 1;
                Report($"no candidate holds: searching the {layers} layers of {best.Name}");
                sensitivity = sa.Analyze(new Relay(Report));
                trials += 2 * layers + 1;
                var r = AutoQuantizer.Search(sa, sensitivity, request.Budget, new Relay(Report));
                trials += r.Log.Count;
                foreach (var line in r.Log) log.Add($"{best.Name} layer search: {line}");
                var q = sa.Build(r.Options);
                candidates.Add(new AutoQuantCandidate($"{best.Name}, {r.FloatLayers.Count} layer(s) float", r.Options,
                    r.Fidelity, r.HeldOutFidelity,
                    r.WithinBudget && r.HeldOutWithinBudget != false, IntegerNodes(q), r.FloatLayers));
            }
        }

        // Timing: the float model and every candidate within the budget (or, for a best effort, the most faithful one).
        var holding = candidates.Where(c => c.WithinBudget && c.IntegerNodes > 0).ToList();
        var bestEffort = holding.Count > 0 ? null
            : candidates.Where(c => c.IntegerNodes > 0 && analyses.ContainsKey(BaseName(c, analyses)))
                .OrderByDescending(c => Closeness(c.Search, request.Budget, keys)).FirstOrDefault();
        var timed = holding.Count > 0 ? holding : bestEffort != null ? new List<AutoQuantCandidate> { bestEffort }
            : new();
        progress?.Report($"measuring latency: float and {timed.Count} candidate(s), {request.LatencyRounds} " +
            $"alternating rounds");
        var latencies = MeasureLatencies(new[] { model }.Concat(timed.Select(c => analyses.TryGetValue(BaseName(c,
            analyses), out var sa) ? sa.Build(c.Options) : throw new InvalidOperationException(c.Name))).ToList(),
            data.Search[0], request.LatencyRounds, settings, source);
        double floatLatency = latencies[0];
        for (int i = 0; i < timed.Count; i++) timed[i].LatencySeconds = latencies[i + 1];
        foreach (var c in timed)
            log.Add($"{c.Name}: {c.LatencySeconds * 1000:F1} ms per batch vs float {floatLatency * 1000:F1} ms " +
                $"({floatLatency / c.LatencySeconds:F2}x)");
        var chosen =
            holding.Where(c => c.LatencySeconds < floatLatency).OrderBy(c => c.LatencySeconds).FirstOrDefault();
        log.Add(chosen != null ? $"chosen: {chosen.Name}, {floatLatency / chosen.LatencySeconds:F2}x float"
            : holding.Count > 0 ? "no candidate within the budget is faster than float"
            : "no candidate meets the budget");
        var modelCandidate = chosen
            ?? (request.BestEffort ? bestEffort ?? holding.OrderBy(c => c.LatencySeconds).FirstOrDefault() : null);
        QuantizationResult? result = modelCandidate == null ? null
            : ModelQuantizer.Quantize(model, source, modelCandidate.Options, "autoquant", data.Calibration, settings);
        return new AutoQuantOutcome(candidates, floatLatency, chosen, chosen == null ? modelCandidate : null, result,
            sensitivity, log, trials, sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// How faithful a candidate is in the budget's own first measured key (higher is better), else its SQNR.
    /// </summary>
    private static double Closeness(OutputFidelity f, FidelityBudget budget, IEnumerable<MetricKey> keys)
    {
        var lower = keys.Where(k => !k.HigherIsBetter).Select(k => k.Name).ToHashSet();
        foreach (var k in budget.Limits.Keys)
            if (f.Metrics.TryGetValue(k, out double v) && !double.IsNaN(v)) return lower.Contains(k) ? -v : v;
        return f.SqnrDb;
    }

    /// <summary>The candidate's own analysis: a searched candidate is named after its base.</summary>
    private static string BaseName(AutoQuantCandidate c, Dictionary<string, SensitivityAnalysis> analyses)
    {
        int cut = c.Name.IndexOf(", ", StringComparison.Ordinal);
        return analyses.ContainsKey(c.Name) || cut < 0 ? c.Name : c.Name[..cut];
    }

    /// <summary>
    /// Passes the search's own progress on, in order, as autoquant's (Progress&lt;T&gt; would post it later).
    /// </summary>
    private sealed class Relay(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    private static readonly HashSet<string> IntegerOps = new(StringComparer.Ordinal)
        { "QuantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger", "QLinearConv", "QLinearMatMul",
            "QGemm", "QLinearAdd", "QLinearMul" };

    /// <summary>
    /// Nodes that quantize or compute in integers (weights-only DequantizeLinear of constants does not count).
    /// </summary>
    internal static int IntegerNodes(ModelProto m) => m.Graph.Node.Count(n => IntegerOps.Contains(n.OpType));

    /// <summary>Median seconds per run of each model on one batch: one warm-up run each, then alternating rounds
    /// (<see cref="AlternatingTiming"/>).</summary>
    internal static double[] MeasureLatencies(IReadOnlyList<ModelProto> models, Dictionary<string, InputTensor> batch,
        int rounds, RuntimeSettings settings, string source)
    {
        var runners = models.Select((m, i) =>
            new ModelRunner(m.ToByteArray(), $"variant {i} of {Path.GetFileName(source)}",
                AlternatingTiming.ForTiming(settings))).ToList();
        try
        {
            var times = AlternatingTiming.Measure(runners, batch, Math.Max(1, rounds), warmups: 1);
            return times.Select(t => Summary.Of(t).Median / 1000).ToArray();
        }
        finally { foreach (var r in runners) r.Dispose(); }
    }
}
