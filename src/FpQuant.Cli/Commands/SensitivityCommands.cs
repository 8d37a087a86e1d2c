using System.CommandLine;
using FpQuant.Core;
using FpQuant.DataSources;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Pipeline;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using Spectre.Console;

namespace FpQuant.Cli.Commands;

public static class SensitivityCommands
{
    private sealed record Shared(Option<string> Model, Option<string> Net, Option<string> Weights, Option<string> Preset, Option<string> Calib,
        Option<string> Eval, Option<int> Batch, Option<int> SearchBatches, Option<string> Provider, Option<int> Threads, DataCommandOptions Data)
    {
        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Model, Net, Weights, Preset, Calib, Eval, Batch, SearchBatches, Provider, Threads }) cmd.Options.Add(o);
            Data.AddTo(cmd);
        }
    }

    private static Shared Common(string defaultCalibration) => new(
        new Option<string>("--model") { Description = "Any ONNX model (float, int64 or int32 inputs); FoundationPose's networks are recognised and get their own fidelity too" },
        new Option<string>("--net") { Description = "Instead of --model: refine or score (exported with --weights)" },
        CommonOptions.Weights(),
        new Option<string>("--preset") { Description = "Static or dynamic recipe whose layers are examined: a preset name (e.g. onnx-static, onnx-dynamic) or a preset .json file", DefaultValueFactory = _ => "onnx-static" },
        new Option<string>("--calibration") { Description = $"Calibration data: {CalibrationSpec.Help}. Without --evaluation its last quarter of batches is held out", DefaultValueFactory = _ => defaultCalibration },
        new Option<string>("--evaluation") { Description = "Held-out data the budget is checked on (same forms as --calibration); never used to calibrate or search" },
        new Option<int>("--calibration-batch") { Description = "Samples per batch (one ScoreNet group; models with a fixed batch get theirs)", DefaultValueFactory = _ => 8 },
        new Option<int>("--search-batches") { Description = "Calibration batches the search judges by", DefaultValueFactory = _ => 1 },
        CommonOptions.Provider(), CommonOptions.Threads(), new DataCommandOptions());

    private static (global::Onnx.ModelProto Model, string Source) LoadModel(ParseResult p, Shared c, string? netName = null)
    {
        string? m = p.GetValue(c.Model);
        netName ??= p.GetValue(c.Net);
        if ((m == null) == (netName == null)) throw new FpQuantException("give exactly one of --model FILE.onnx or --net refine|score");
        if (m != null) return (OnnxModelFile.Load(m), m);
        var kind = NetworkNames.ParseKind(netName!);
        return (NetworkExport.Build(kind, p.GetValue(c.Weights)!), $"{kind.Id()}.onnx");
    }

    /// <summary>The data of one model and, where it is one of FoundationPose's networks, that network's metric.</summary>
    private sealed record Plan(CalibrationSource Calibration, CalibrationSource? Evaluation, IFidelityMetric? Metric)
    {
        public IEnumerable<MetricKey> Keys => Metric?.Keys ?? Array.Empty<MetricKey>();
    }

    private static Plan Prepare(ParseResult p, Shared c, global::Onnx.ModelProto model, string source)
    {
        var data = c.Data.Parse(p, p.GetValue(c.Batch));
        var calibration = CalibrationSpec.Parse(p.GetValue(c.Calib)!, null, data);
        var evaluation = p.GetValue(c.Eval) is string e ? CalibrationSpec.Parse(e, null, data) : null;
        return new Plan(calibration, evaluation, FoundationPoseFidelity.For(model, source, calibration));
    }

    /// <summary>The preset as the model's kind defines it: FoundationPose's module-path recipes for its networks.</summary>
    private static QuantizationOptions Preset(ParseResult p, Shared c, Plan plan)
    {
        string preset = p.GetValue(c.Preset)!;
        if (preset.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return QuantizationPresets.LoadFile(preset);
        return plan.Metric != null ? FoundationPosePresets.Get(preset) : QuantizationPresets.Get(preset);
    }

    private static SensitivityAnalysis Analyse(ParseResult p, Shared c, global::Onnx.ModelProto model, string source, Plan plan)
    {
        var split = EvaluationData.Split(model, source, plan.Calibration, plan.Evaluation, p.GetValue(c.SearchBatches));
        return new SensitivityAnalysis(model, source, Preset(p, c, plan), split, CommonOptions.Settings(p, c.Provider, c.Threads), plan.Metric);
    }

    public static Command Sensitivity()
    {
        var c = Common("synthetic:8:0");
        var output = new Option<string>("--out") { Description = "Folder for sensitivity.json, .md and .png", DefaultValueFactory = _ => "sensitivity" };
        var cmd = new Command("sensitivity", "Per-layer sensitivity: fidelity with only each layer quantized and with only it float; per-tensor SQNR; the fully quantized model on held-out samples");
        c.AddTo(cmd);
        cmd.Options.Add(output);
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var (model, source) = LoadModel(p, c);
            var sa = Analyse(p, c, model, source, Prepare(p, c, model, source));
            var report = sa.Analyze(new SynchronousProgress<string>(s => Console.Error.WriteLine($"[sensitivity] {s}")));
            SensitivityReportWriter.Write(report, p.GetValue(output)!);
            var t = new Table().Border(TableBorder.Rounded).AddColumns("layer", "nodes", "only this layer int8", "all but this layer int8");
            foreach (var row in SensitivityReportWriter.Rows(report)) t.AddRow(row.Select(Markup.Escape).ToArray());
            t.Caption(Markup.Escape($"fully quantized: {report.FullyQuantized} (search group, {report.SearchSamples} samples)"));
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
        var c = Common("synthetic:16:0");
        var budget = new Option<string>("--budget") { Description = "Fidelity to keep, any subset of: cosine=0.99, cosine_mean=, sqnr= (dB), top1=, top5= (class logits); FoundationPose: spearman=0.99, top1=1, rot=0.5 (deg), trans=0.5 (% of diameter). Default: the network's own, else sqnr=30", DefaultValueFactory = _ => "" };
        var output = new Option<string>("--out") { Description = "Output: a .onnx with --model or --net refine|score; a folder with --net both", Required = true };
        var presetOut = new Option<string>("--preset-out") { Description = "Where to write the chosen recipe (default: beside the output, NAME.preset.json)" };
        var cmd = new Command("autoquant", "Search the fastest mixed-precision recipe within a fidelity budget on a search group, check it on held-out samples; write the model and the recipe as a preset file");
        c.AddTo(cmd);
        cmd.Options.Add(budget); cmd.Options.Add(output); cmd.Options.Add(presetOut);
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var settings = CommonOptions.Settings(p, c.Provider, c.Threads);
            string outPath = p.GetValue(output)!;
            var nets = p.GetValue(c.Net) == "both" ? new[] { "refine", "score" } : new string?[] { p.GetValue(c.Net) };
            var results = new List<AutoQuantResult>();
            QuantizationOptions? baseOptions = null;
            var budgets = new List<FidelityBudget>();
            bool missed = false;
            foreach (var net in nets)
            {
                string name = net ?? "model";
                var (model, source) = LoadModel(p, c, net);
                var plan = Prepare(p, c, model, source);
                var b = p.GetValue(budget) is { Length: > 0 } text ? FidelityBudget.Parse(text, plan.Keys)
                    : plan.Metric != null ? new FidelityBudget(plan.Metric.DefaultBudget) : FidelityBudget.GenericDefault;
                budgets.Add(b);
                var sa = Analyse(p, c, model, source, plan);
                baseOptions = Preset(p, c, plan);
                var progress = new SynchronousProgress<string>(s => Console.Error.WriteLine($"[autoquant {name}] {s}"));
                var report = sa.Analyze(progress);
                string sensitivityDir = nets.Length > 1 ? Path.Combine(outPath, $"sensitivity-{net}") : Path.ChangeExtension(outPath, ".sensitivity");
                SensitivityReportWriter.Write(report, sensitivityDir);
                Console.WriteLine($"{name}: sensitivity report {Path.Combine(sensitivityDir, "sensitivity.md")}");
                var r = AutoQuantizer.Search(sa, report, b, progress);
                foreach (var line in r.Log) Console.WriteLine($"{name}: {line}");
                Console.WriteLine($"{name}: budget {b}: search group {(r.WithinBudget ? "met" : "NOT met")}; held-out {(r.HeldOutWithinBudget switch { true => "met", false => "NOT met", null => "none" })}");
                Console.WriteLine($"{name}: latency {r.LatencySeconds * 1000:F0} ms per batch vs float {r.FloatLatencySeconds * 1000:F0} ms ({r.FloatLatencySeconds / r.LatencySeconds:F2}x) and fully quantized {r.FullyQuantizedLatencySeconds * 1000:F0} ms; float layers: {(r.FloatLayers.Count == 0 ? "none" : string.Join(", ", r.FloatLayers))}");
                results.Add(r);
                var result = ModelQuantizer.Quantize(model, source, r.Options, "autoquant", sa.Data.Calibration, settings);
                string modelOut = nets.Length > 1 ? Path.Combine(outPath, $"{net}.onnx") : outPath;
                ModelQuantizer.Save(result, modelOut, source);
                Console.WriteLine($"wrote {modelOut}");
                if (!r.WithinBudget || r.HeldOutWithinBudget == false) missed = true;
            }
            var recipe = AutoQuantRecipe.Combine(baseOptions!, results);
            string presetPath = p.GetValue(presetOut) ?? (nets.Length > 1 ? Path.Combine(outPath, "autoquant.json") : Path.ChangeExtension(outPath, ".preset.json"));
            QuantizationPresets.SaveFile(presetPath, recipe, "autoquant", new
            {
                basePreset = p.GetValue(c.Preset),
                budget = string.Join("; ", budgets.Select(b => b.ToString())),
                floatLayers = results.SelectMany(r => r.FloatLayers).ToList(),
                searchGroup = results.Select(r => r.Fidelity.ToString()).ToList(),
                heldOut = results.Select(r => r.HeldOutFidelity?.ToString() ?? "none").ToList(),
                withinBudget = results.Select(r => new { searchGroup = r.WithinBudget, heldOut = r.HeldOutWithinBudget }).ToList(),
            });
            Console.WriteLine($"recipe: {presetPath} (use with quantize --preset-file or bench --variants {presetPath})");
            if (missed) Console.Error.WriteLine("autoquant: warning: the budget is not met (see above); the model and recipe are the best effort");
            return 0;
        }));
        return cmd;
    }
}
