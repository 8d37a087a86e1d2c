using FpQuant.Quantization.Bench;
using System.CommandLine;
using System.Text.Json;
using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Spectre.Console;

namespace FpQuant.Cli.Commands;

internal static class BenchModelCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Any ONNX model", Required = true };
        var variants = new Option<string>("--variants") { Description = "Comma-separated: fp32, preset names, preset " +
            "files (.json, e.g. autoquant's recipe), NAME=FILE.onnx",
                DefaultValueFactory = _ => "fp32,onnx-static,onnx-dynamic,fp16" };
        var calib = new Option<string>("--calibration") { Description =
            $"Calibration data for static variants: {FoundationPoseInputs.Kinds.Help}", Required = true };
        var eval = new Option<string>("--evaluation") { Description =
            "Held-out data for fidelity; its first batch is the timed one", Required = true };
        var batch = new Option<int>("--calibration-batch") { Description = "Samples per batch (calibration and the " +
            "timed evaluation batch)", DefaultValueFactory = _ => CalibrationDefaults.BatchSize };
        var rounds = new Option<int>("--rounds") { Description =
            "Alternating timing rounds (after two warm-up runs each)", DefaultValueFactory = _ => 10 };
        var output = new Option<string>("--out") { Description = "Folder for report.md and report.json",
            DefaultValueFactory = _ => "bench-model" };
        var provider = CommonOptions.Provider();
        var threads = CommonOptions.Threads();
        var data = new DataCommandOptions();
        var cmd = new Command("bench-model",
            "Any model: each variant's size, latency (alternating rounds, medians) and fidelity on held-out samples, " +
            "in one run")
        { model, variants, calib, eval, batch, rounds, output, provider, threads };
        data.AddTo(cmd);
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var options = data.Parse(p, p.GetValue(batch));
            var report = ModelBench.Run(p.GetValue(model)!,
                p.GetValue(variants)!.Split(',',
                    StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                DataCommandOptions.Source("--calibration", p.GetValue(calib)!, options),
                DataCommandOptions.Source("--evaluation", p.GetValue(eval)!, options),
                CommonOptions.Settings(p, provider, threads), p.GetValue(rounds),
                new SynchronousProgress<string>(s => Console.Error.WriteLine($"[bench-model] {s}")));
            string dir = p.GetValue(output)!;
            ModelInference.EnsureWritableFolder(dir);
            AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), report.Markdown());
            AtomicFile.WriteAllText(Path.Combine(dir, "report.json"),
                JsonSerializer.Serialize(report, ReportJson.Options));
            Console.Write(report.Markdown());
            Console.WriteLine($"report: {Path.Combine(dir, "report.md")}");
            return report.Rows.Any(r => r.Error != null) ? 1 : 0;
        }));
        return cmd;
    }
}
