using System.CommandLine;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Sensitivity;
using Spectre.Console;

namespace FpQuant.Cli.Commands;

public static class SensitivityCommands
{
    private static (Option<string> Model, Option<string> Net, Option<string> Weights, Option<string> Preset, Option<string> Calib, Option<int> Batch, Option<string> Provider, Option<int> Threads) Common()
        => (new Option<string>("--model") { Description = "ONNX model (any; the networks get network-specific fidelity)" },
            new Option<string>("--net") { Description = "Instead of --model: refine or score (exported with --weights)" },
            CommonOptions.Weights(),
            new Option<string>("--preset") { Description = "Static recipe whose layers are examined", DefaultValueFactory = _ => "onnx-static" },
            new Option<string>("--calibration") { Description = "synthetic:COUNT[:SEED], scene:demo[:COUNT] or scene:FOLDER[:COUNT]; the first batch is also the evaluation set", DefaultValueFactory = _ => "synthetic:8:0" },
            new Option<int>("--calibration-batch") { Description = "Pairs per batch (one ScoreNet group)", DefaultValueFactory = _ => 8 },
            CommonOptions.Provider(), CommonOptions.Threads());

    private static (global::Onnx.ModelProto Model, string Source) LoadModel(ParseResult p, Option<string> model, Option<string> net, Option<string> weights, string? netName = null)
    {
        string? m = p.GetValue(model);
        netName ??= p.GetValue(net);
        if ((m == null) == (netName == null)) throw new FpQuantException("give exactly one of --model FILE.onnx or --net refine|score");
        if (m != null) return (OnnxModelFile.Load(m), m);
        var kind = NetworkNames.ParseKind(netName!);
        return (NetworkExport.Build(kind, p.GetValue(weights)!), $"{kind.Id()}.onnx");
    }

    public static Command Sensitivity()
    {
        var c = Common();
        var output = new Option<string>("--out") { Description = "Folder for sensitivity.json, .md and .png", DefaultValueFactory = _ => "sensitivity" };
        var cmd = new Command("sensitivity", "Per-layer sensitivity: fidelity with only each layer quantized and with only it float; per-tensor SQNR")
        { c.Model, c.Net, c.Weights, c.Preset, c.Calib, c.Batch, c.Provider, c.Threads, output };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var (model, source) = LoadModel(p, c.Model, c.Net, c.Weights);
            var sa = new SensitivityAnalysis(model, source, QuantizationPresets.Get(p.GetValue(c.Preset)!),
                QuantizeCommand.ParseCalibration(p.GetValue(c.Calib)!, null, p.GetValue(c.Batch)), CommonOptions.Settings(p, c.Provider, c.Threads));
            var report = sa.Analyze(new SynchronousProgress<string>(s => Console.Error.WriteLine($"[sensitivity] {s}")));
            SensitivityReportWriter.Write(report, p.GetValue(output)!);
            var t = new Table().Border(TableBorder.Rounded).AddColumns("layer", "nodes", "only this layer int8", "all but this layer int8");
            foreach (var row in SensitivityReportWriter.Rows(report)) t.AddRow(row.Select(Markup.Escape).ToArray());
            t.Caption(Markup.Escape($"fully quantized: {report.FullyQuantized}"));
            AnsiConsole.Write(t);
            Console.WriteLine($"report: {Path.Combine(p.GetValue(output)!, "sensitivity.md")}");
            return 0;
        }));
        return cmd;
    }

    public static Command AutoQuant()
    {
        var c = Common();
        var budget = new Option<string>("--budget") { Description = "spearman=0.99,top1=1,rot=0.5,trans=0.5,sqnr=30 (any subset)", DefaultValueFactory = _ => "" };
        var output = new Option<string>("--out") { Description = "Output: a .onnx with --model or --net refine|score; a folder with --net both", Required = true };
        var presetOut = new Option<string>("--preset-out") { Description = "Where to write the chosen recipe (default: beside the output, autoquant.json)" };
        var cmd = new Command("autoquant", "Search the fastest mixed-precision recipe within a fidelity budget; write the recipe as a preset file and the model")
        { c.Model, c.Net, c.Weights, c.Preset, c.Calib, c.Batch, c.Provider, c.Threads, budget, output, presetOut };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var b = ParseBudget(p.GetValue(budget)!);
            var settings = CommonOptions.Settings(p, c.Provider, c.Threads);
            string outPath = p.GetValue(output)!;
            var nets = p.GetValue(c.Net) == "both" ? new[] { "refine", "score" } : new string?[] { p.GetValue(c.Net) };
            var floatLayers = new List<string>();
            QuantizationOptions? chosen = null;
            foreach (var net in nets)
            {
                var (model, source) = LoadModel(p, c.Model, c.Net, c.Weights, net);
                var sa = new SensitivityAnalysis(model, source, QuantizationPresets.Get(p.GetValue(c.Preset)!),
                    QuantizeCommand.ParseCalibration(p.GetValue(c.Calib)!, null, p.GetValue(c.Batch)), settings);
                var progress = new SynchronousProgress<string>(s => Console.Error.WriteLine($"[autoquant {net ?? "model"}] {s}"));
                var report = sa.Analyze(progress);
                if (nets.Length > 1) SensitivityReportWriter.Write(report, Path.Combine(outPath, $"sensitivity-{net}"));
                var r = AutoQuantizer.Search(sa, report, b, progress);
                foreach (var line in r.Log) Console.WriteLine($"{net ?? "model"}: {line}");
                Console.WriteLine($"{net ?? "model"}: latency {r.LatencySeconds * 1000:F0} ms per batch vs float {r.FloatLatencySeconds * 1000:F0} ms ({r.FloatLatencySeconds / r.LatencySeconds:F2}x) and fully quantized {r.FullyQuantizedLatencySeconds * 1000:F0} ms; float layers: {(r.FloatLayers.Count == 0 ? "none" : string.Join(", ", r.FloatLayers))}");
                floatLayers.AddRange(r.FloatLayers);
                chosen = r.Options;
                var result = ModelQuantizer.Quantize(model, source, r.Options, "autoquant", QuantizeCommand.ParseCalibration(p.GetValue(c.Calib)!, null, p.GetValue(c.Batch)), settings);
                string modelOut = nets.Length > 1 ? Path.Combine(outPath, $"{net}.onnx") : outPath;
                ModelQuantizer.Save(result, modelOut, source);
                Console.WriteLine($"wrote {modelOut}");
            }
            // One recipe for both networks: their module paths differ, so the union of float layers is exact for each.
            var baseOptions = QuantizationPresets.Get(p.GetValue(c.Preset)!);
            var recipe = baseOptions with { Exclude = baseOptions.Exclude.Concat(floatLayers.SelectMany(l => new[] { l, l + "/*" })).ToList(), ReduceRange = chosen?.ReduceRange };
            string presetPath = p.GetValue(presetOut) ?? (nets.Length > 1 ? Path.Combine(outPath, "autoquant.json") : Path.ChangeExtension(outPath, ".preset.json"));
            QuantizationPresets.SaveFile(presetPath, recipe, "autoquant", new { basePreset = p.GetValue(c.Preset), budget = b, floatLayers });
            Console.WriteLine($"recipe: {presetPath} (use with quantize --preset-file or bench --variants {presetPath})");
            return 0;
        }));
        return cmd;
    }

    public static FidelityBudget ParseBudget(string text)
    {
        var b = new FidelityBudget();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=');
            if (kv.Length != 2 || !double.TryParse(kv[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v))
                throw new FpQuantException($"--budget '{part}': use name=value, e.g. spearman=0.99");
            b = kv[0].Trim().ToLowerInvariant() switch
            {
                "spearman" => b with { MinSpearman = v },
                "top1" => b with { RequireTop1 = v >= 1 },
                "rot" => b with { MaxRotationDeg = v },
                "trans" => b with { MaxTranslationPct = v },
                "sqnr" => b with { MinSqnrDb = v },
                _ => throw new FpQuantException($"--budget '{kv[0]}': use spearman, top1, rot, trans or sqnr"),
            };
        }
        return b;
    }
}
