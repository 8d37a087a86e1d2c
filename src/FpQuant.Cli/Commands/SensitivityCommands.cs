using System.CommandLine;
using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Pipeline;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using Spectre.Console;

namespace FpQuant.Cli.Commands;

internal static class SensitivityCommands
{
    private static readonly string?[] BothNetworks = ["refine", "score"];

    private sealed record Shared(Option<string> Model, Option<string> Net, Option<string> Weights,
        Option<string> Preset, Option<string> Calib,
        Option<string> Eval, Option<int> Batch, Option<int> SearchBatches, Option<string> Provider, Option<int> Threads,
        DataCommandOptions Data)
    {
        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Model, Net, Weights, Preset, Calib, Eval, Batch, SearchBatches, Provider,
                Threads }) cmd.Options.Add(o);
            Data.AddTo(cmd);
        }
    }

    private static Shared Common(string defaultCalibration, string? defaultPreset = "onnx-static") => new(
        new Option<string>("--model") { Description = "Any ONNX model (float, int64 or int32 inputs); " +
            "FoundationPose's networks are recognised and get their own fidelity too" },
        new Option<string>("--net") { Description = "Instead of --model: refine or score (exported with --weights)" },
        CommonOptions.Weights(),
        defaultPreset == null
            ? new Option<string>("--preset") { Description = "Start from this recipe only (a preset name, e.g. " +
                "onnx-static, or a preset .json file); without it every base that applies is tried (static, " +
                "static-compute, dynamic-per-channel, hybrid)" }
            : new Option<string>("--preset") { Description = "Static or dynamic recipe whose layers are examined: a " +
                "preset name (e.g. onnx-static, onnx-dynamic) or a preset .json file",
                    DefaultValueFactory = _ => defaultPreset },
        new Option<string>("--calibration") { Description = $"Calibration data: {FoundationPoseInputs.Kinds.Help}. " +
            $"Without --evaluation its last quarter of batches is held out",
                DefaultValueFactory = _ => defaultCalibration },
        new Option<string>("--evaluation") { Description =
            "Held-out data the budget is checked on (same forms as --calibration); never used to calibrate or search" },
        new Option<int>("--calibration-batch") { Description = "Samples per batch (one ScoreNet group; models with a " +
            "fixed batch get theirs)", DefaultValueFactory = _ => CalibrationDefaults.BatchSize },
        new Option<int>("--search-batches") { Description = "Calibration batches the search judges by",
            DefaultValueFactory = _ => 1 },
        CommonOptions.Provider(), CommonOptions.Threads(), new DataCommandOptions());

    private static (global::Onnx.ModelProto Model, string Source) LoadModel(ParseResult p, Shared c,
        string? netName = null)
    {
        string? m = p.GetValue(c.Model);
        netName ??= p.GetValue(c.Net);
        if ((m == null) == (netName == null))
            throw new FpQuantException("give exactly one of --model FILE.onnx or --net refine|score");
        if (m != null) return (OnnxModelFile.Load(m), m);
        var kind = FlagValues.Net(netName!);
        return (NetworkExport.Build(kind, p.GetValue(c.Weights)!), $"{kind.Id()}.onnx");
    }

    /// <summary>
    /// The data of one model and, where it is one of FoundationPose's networks, that network's metric.
    /// </summary>
    private sealed record Plan(InputSource Calibration, InputSource? Evaluation, IFidelityMetric? Metric)
    {
        public IEnumerable<MetricKey> Keys => Metric?.Keys ?? Array.Empty<MetricKey>();
    }

    private static Plan Prepare(ParseResult p, Shared c, global::Onnx.ModelProto model, string source)
    {
        var data = c.Data.Parse(p, p.GetValue(c.Batch));
        var calibration = DataCommandOptions.Source("--calibration", p.GetValue(c.Calib)!, data);
        var evaluation = p.GetValue(c.Eval) is string e ? DataCommandOptions.Source("--evaluation", e, data) : null;
        return new Plan(calibration, evaluation, FoundationPoseMetric.For(model, source, calibration));
    }

    /// <summary>
    /// The preset as the model's kind defines it: FoundationPose's module-path recipes for its networks.
    /// </summary>
    private static QuantizationOptions Preset(ParseResult p, Shared c, Plan plan)
    {
        string preset = p.GetValue(c.Preset)!;
        if (preset.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return QuantizationPresets.LoadFile(preset);
        return plan.Metric != null ? FoundationPosePresets.Get(preset) : QuantizationPresets.Get(preset);
    }

    private static SensitivityAnalysis Analyse(ParseResult p, Shared c, global::Onnx.ModelProto model, string source,
        Plan plan)
    {
        var split = EvaluationData.Split(model, source, plan.Calibration, plan.Evaluation, p.GetValue(c.SearchBatches));
        return new SensitivityAnalysis(model, source, Preset(p, c, plan), split,
            CommonOptions.Settings(p, c.Provider, c.Threads), plan.Metric);
    }

    public static Command Sensitivity()
    {
        var c = Common("synthetic:8:0");
        var output = new Option<string>("--out") { Description = "Folder for sensitivity.json, .md and .png",
            DefaultValueFactory = _ => "sensitivity" };
        var cmd = new Command("sensitivity",
            "Per-layer sensitivity: fidelity with only each layer quantized and with only it float; per-tensor SQNR; " +
            "the fully quantized model on held-out samples");
        c.AddTo(cmd);
        cmd.Options.Add(output);
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var (model, source) = LoadModel(p, c);
            var sa = Analyse(p, c, model, source, Prepare(p, c, model, source));
            var report =
                sa.Analyze(new SynchronousProgress<string>(s => Console.Error.WriteLine($"[sensitivity] {s}")));
            SensitivityReportWriter.Write(report, p.GetValue(output)!);
            var t = new Table().Border(TableBorder.Rounded)
                .AddColumns("group", "quantized nodes", "only this group int8", "all but this group int8");
            foreach (var row in SensitivityReportWriter.Rows(report)) t.AddRow(row.Select(Markup.Escape).ToArray());
            t.Caption(
                Markup.Escape(
                    $"fully quantized: {report.FullyQuantized} (search group, {report.SearchSamples} samples)"));
            AnsiConsole.Write(t);
            Console.WriteLine(report.FullyQuantizedHeldOut is OutputFidelity h
                ? $"fully quantized on held-out samples ({report.HeldOutSamples}): {h}"
                : $"held-out: {report.HeldOut}");
            Console.WriteLine($"report: {Path.Combine(p.GetValue(output)!, "sensitivity.md")}");
            return 0;
        }));
        return cmd;
    }

    public static Command AutoQuant()
    {
        var c = Common("synthetic:16:0", defaultPreset: null);
        var budget = new Option<string>("--budget") { Description = "Fidelity to keep, any subset of: cosine=0.99, " +
            "cosine_mean=, sqnr= (dB), top1=, top5= (class logits); FoundationPose: spearman=0.99, top1=1, rot=0.5 " +
            "(deg), trans=0.5 (% of diameter). Default: the network's own, else sqnr=30",
                DefaultValueFactory = _ => "" };
        var output = new Option<string>("--out") { Description =
            "Output: a .onnx with --model or --net refine|score; a folder with --net both", Required = true };
        var presetOut = new Option<string>("--preset-out") { Description =
            "Where to write the chosen recipe (default: beside the output, NAME.preset.json)" };
        var smooth = new Option<string>("--smooth") { Description = "Outlier smoothing of MatMul/Gemm inputs: auto " +
            "(try alpha 0.5, 0.65, 0.8 and one searched per layer beside none; the default without --preset), " +
            "per-layer (only the per-layer search beside none), none (the default with --preset) or one ALPHA in " +
            "[0, 1]" };
        var maxTrials = new Option<int>("--max-trials") { Description =
            "At most this many quantized models built and evaluated", DefaultValueFactory = _ => 200 };
        var rounds = new Option<int>("--latency-rounds") { Description = "Alternating latency rounds for float and " +
            "every candidate within the budget (medians)", DefaultValueFactory = _ => 7 };
        var bestEffort = new Option<bool>("--best-effort") { Description = "When no recipe is within the budget and " +
            "faster than float, still write the most faithful one (exit code stays 3)" };
        var cmd = new Command("autoquant",
            "Search the fastest recipe within a fidelity budget (every base, mixed modes, outlier smoothing, layers " +
            "kept float), judged on a search group and held-out samples, latency measured; exit 3 when nothing beats " +
            "float within the budget");
        c.AddTo(cmd);
        foreach (var o in new Option[] { budget, output, presetOut, smooth, maxTrials, rounds, bestEffort })
            cmd.Options.Add(o);
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var settings = CommonOptions.Settings(p, c.Provider, c.Threads);
            string outPath = p.GetValue(output)!;
            var nets = p.GetValue(c.Net) == "both" ? BothNetworks : new string?[] { p.GetValue(c.Net) };
            bool presetGiven = p.GetValue(c.Preset) != null;
            string smoothText = (p.GetValue(smooth) ?? (presetGiven ? "none" : "auto")).Trim().ToLowerInvariant();
            IReadOnlyList<double> alphas = smoothText switch
            {
                "none" or "per-layer" => Array.Empty<double>(),
                "auto" => AutoQuantRequest.DefaultSmoothingAlphas,
                _ => new[] { FlagValues.SmoothingAlpha(smoothText) },
            };
            bool perLayer = smoothText is "auto" or "per-layer";
            var chosen = new List<(string Net, QuantizationOptions Options)>();
            bool missed = false;
            foreach (var net in nets)
            {
                string name = net ?? "model";
                var (model, source) = LoadModel(p, c, net);
                var plan = Prepare(p, c, model, source);
                var b = p.GetValue(budget) is { Length: > 0 } text ? FidelityBudget.Parse(text, plan.Keys)
                    : plan.Metric != null ? new FidelityBudget(plan.Metric.DefaultBudget)
                    : FidelityBudget.GenericDefault;
                var split =
                    EvaluationData.Split(model, source, plan.Calibration, plan.Evaluation, p.GetValue(c.SearchBatches));
                var request = new AutoQuantRequest
                {
                    Budget = b,
                    Bases = presetGiven ? new[] { (p.GetValue(c.Preset)!, Preset(p, c, plan)) } : null,
                    SmoothingAlphas = alphas, SmoothingPerLayer = perLayer, MaxTrials = p.GetValue(maxTrials),
                    LatencyRounds = p.GetValue(rounds),
                    BestEffort = p.GetValue(bestEffort),
                };
                var progress = new SynchronousProgress<string>(s => Console.Error.WriteLine($"[autoquant {name}] {s}"));
                var r = FpQuant.Quantization.Sensitivity.AutoQuant.Run(model, source, split, request, settings,
                    plan.Metric, progress);
                foreach (var line in r.Log) Console.WriteLine($"{name}: {CliFlags.Words(line, p)}");
                if (r.Sensitivity != null)
                {
                    string sensitivityDir = nets.Length > 1 ? Path.Combine(outPath, $"sensitivity-{net}")
                        : Path.ChangeExtension(outPath, ".sensitivity");
                    SensitivityReportWriter.Write(r.Sensitivity, sensitivityDir);
                    Console.WriteLine($"{name}: sensitivity report {Path.Combine(sensitivityDir, "sensitivity.md")}");
                }
                var shown = r.Chosen ?? r.BestEffort;
                if (shown != null)
                {
                    Console.WriteLine($"{name}: budget {b}: search group " +
                        $"{(shown.Search is var f && b.Holds(f, plan.Keys) ? "met" : "NOT met")}; held-out {(shown.HeldOut == null ? "none" : b.Holds(shown.HeldOut, plan.Keys) ? $"met ({split.HeldOutSamples} samples)" : "NOT met")}");
                    Console.WriteLine($"{name}: {(r.Chosen != null ? "chosen" : "best effort")}: {shown.Name}; " +
                        $"{r.FloatLatencySeconds / shown.LatencySeconds:F2}x float ({shown.LatencySeconds * 1000:F1} " +
                        $"vs {r.FloatLatencySeconds * 1000:F1} ms per batch); float layers: " +
                        $"{(shown.FloatLayers.Count == 0 ? "none" : string.Join(", ", shown.FloatLayers))}; " +
                        $"{r.Trials} trials in {r.Seconds:F0} s");
                }
                Console.WriteLine($"{name}: held-out ({split.HeldOutSamples} samples: {split.HeldOutDescription})");
                if (!r.Met)
                {
                    missed = true;
                    Console.Error.WriteLine($"autoquant: {name}: no recipe is within the budget {b} and faster than " +
                        $"float ({r.Candidates.Count} tried, {r.Candidates.Count(x => x.WithinBudget)} within the " +
                        $"budget); {(r.Model != null ? "the best effort is written" : "no model written (--best-effort writes the most faithful one)")}");
                }
                if (r.Model == null) continue;
                string modelOut = nets.Length > 1 ? Path.Combine(outPath, $"{net}.onnx") : outPath;
                if (nets.Length > 1) Directory.CreateDirectory(outPath);
                ModelQuantizer.Save(r.Model, modelOut, source);
                Console.WriteLine($"wrote {modelOut}");
                string recipePath = nets.Length > 1 ? Path.Combine(outPath, $"{net}.preset.json")
                    : p.GetValue(presetOut) ?? Path.ChangeExtension(outPath, ".preset.json");
                var pick = shown!;
                QuantizationPresets.SaveFile(recipePath, pick.Options with { ReduceRange = null }, "autoquant", new
                {
                    candidate = pick.Name,
                    budget = b.ToString(),
                    floatLayers = pick.FloatLayers,
                    searchGroup = pick.Search.ToString(),
                    heldOut = pick.HeldOut?.ToString() ?? "none",
                    speedUp = r.FloatLatencySeconds / pick.LatencySeconds,
                    withinBudget = r.Met,
                    candidates = r.Candidates.Select(x => new { name = x.Name, withinBudget = x.WithinBudget,
                        integerNodes = x.IntegerNodes, searchGroup = x.Search.ToString(),
                        heldOut = x.HeldOut?.ToString(),
                        latencyMs = double.IsNaN(x.LatencySeconds) ? (double?)null : x.LatencySeconds * 1000 }),
                });
                Console.WriteLine(
                    $"recipe: {recipePath} (use with quantize --preset-file or bench --variants {recipePath})");
                chosen.Add((name, pick.Options));
            }
            // FoundationPose's two networks share one recipe file when they chose the same base (their node names
            // differ).
            if (nets.Length > 1 && chosen.Count == 2
                && AutoQuantRecipe.Combine(chosen.Select(x => x.Options).ToList()) is { } combined)
            {
                string presetPath = p.GetValue(presetOut) ?? Path.Combine(outPath, "autoquant.json");
                QuantizationPresets.SaveFile(presetPath, combined, "autoquant", new { budget = p.GetValue(budget) });
                Console.WriteLine($"recipe for both networks: {presetPath}");
            }
            return missed ? 3 : 0;
        }));
        return cmd;
    }
}
