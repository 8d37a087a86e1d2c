using System.CommandLine;
using System.Globalization;
using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Pipeline;
using FpQuant.Quantization;
using Spectre.Console;
using FpQuant.Variants;

namespace FpQuant.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create()
    {
        var hyps = new Option<int>("--hypotheses") { Description =
            "Pose hypotheses (252 is FoundationPose's first frame)", DefaultValueFactory = _ => 16 };
        var iters = new Option<int>("--iterations") { Description =
            "Refine iterations (FoundationPose: 5, Isaac ROS: 1)", DefaultValueFactory = _ => 1 };
        var refineBatch = new Option<int>("--refine-batch") { Description = "Pairs per RefineNet call",
            DefaultValueFactory = _ => FirstFrameSettings.IsaacRosRefineBatch };
        var variants = new Option<string[]>("--variants") { Description = "fp32, preset names or preset .json files " +
            "(comma-separated or repeated); default: fp32 and every preset", AllowMultipleArgumentsPerToken = true };
        var userVariant = new Option<string[]>("--variant") { Description =
            "Your own files: NAME=REFINE.onnx,SCORE.onnx (repeatable)" };
        var repeats =
            new Option<int>("--repeats") { Description = "Timed repeats per variant", DefaultValueFactory = _ => 3 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up rounds after the cold frame (which " +
            "already runs every session once)", DefaultValueFactory = _ => 0 };
        var weights = CommonOptions.Weights();
        var provider = CommonOptions.Provider();
        var threads = CommonOptions.Threads();
        var output = new Option<string>("--out") { Description =
            "Report folder (default: a fresh folder under bench-results/)" };
        var profile = new Option<bool>("--profile") { Description =
            "Also run ONNX Runtime's profiler and break time down by op type and module" };
        var calib = new Option<int>("--calibration-count") { Description =
            "Pairs (crops of the scene, or synthetic) for calibrating static presets", DefaultValueFactory = _ => 8 };
        var cache =
            new Option<string>("--cache") { Description =
                "Folder for exported and quantized models (reused across runs)",
                    DefaultValueFactory = _ => Path.Combine("bench-results", "model-cache") };
        var noStartupCache = new Option<bool>("--no-startup-cache") { Description =
            "Skip measuring start-up from ONNX Runtime's saved optimized graph" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the synthetic crops (with --scene synthetic)",
            DefaultValueFactory = _ => 0 };
        var scene = new Option<string>("--scene") { Description = "Crops from: demo (the built-in RGB-D scene, " +
            "rendered and cropped), a scene folder (rgb.png, depth.png, mask.png, cam_K.txt, mesh.obj), or synthetic " +
            "(generated crops, no rendering)", DefaultValueFactory = _ => "demo" };
        var maxMemory = CommonOptions.MaxMemory();
        var scoreChunk = CommonOptions.ScoreChunk();
        var arena = CommonOptions.Arena();
        var track = new Option<bool>("--track") { Description =
            "Benchmark tracking frames instead (RefineNet on one pair, --track-iterations a frame) on the demo video" };
        var trackFrames = new Option<int>("--track-frames") { Description =
            "Frames of the demo video each --track round tracks", DefaultValueFactory = _ => 30 };
        var trackRounds = new Option<int>("--track-rounds") { Description =
            "Timed --track rounds (each tracks the whole video, variants alternating)", DefaultValueFactory = _ => 3 };
        var trackThreads = new Option<string>("--track-threads") { Description =
            "Thread counts for --track, e.g. 1,2 (default: --threads)" };
        var trackIters = new Option<int>("--track-iterations") { Description = "Refine iterations per tracked frame " +
            "(FoundationPose: 2)", DefaultValueFactory = _ => TrackSettings.DefaultIterations };
        var cmd = new Command("bench",
            "Benchmark FoundationPose's first frame for fp32 and every quantized variant, side by side")
        {
            hyps, iters, refineBatch, variants, userVariant, repeats, warmup, weights, provider, threads, output,
            profile, calib, cache, noStartupCache, seed, scene, maxMemory, scoreChunk, arena,
        };
        foreach (var o in new Option[] { track, trackFrames, trackRounds, trackThreads, trackIters })
            cmd.Options.Add(o);
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var specs = VariantSpec.ParseList(p.GetResult(variants) != null ? p.GetValue(variants) : null,
                p.GetResult(userVariant) != null ? p.GetValue(userVariant) : null);
            if (p.GetValue(track))
                return TrackBenchCommand.Run(p, specs, p.GetValue(trackFrames), p.GetValue(trackRounds),
                    p.GetValue(trackThreads), p.GetValue(trackIters),
                    p.GetResult(warmup) is { Implicit: false } ? p.GetValue(warmup) : 5, p.GetValue(weights)!,
                    CommonOptions.Settings(p, provider, threads),
                    p.GetValue(cache)!, p.GetValue(calib), p.GetValue(output));
            var settings = new BenchSettings
            {
                Frame = new FirstFrameSettings
                {
                    Hypotheses = p.GetValue(hyps), Iterations = p.GetValue(iters),
                    RefineBatch = p.GetValue(refineBatch),
                    MaxMemoryBytes = FlagValues.MemorySize(p.GetValue(maxMemory)!), ScoreChunk = p.GetValue(scoreChunk),
                },
                Variants = specs,
                Repeats = p.GetValue(repeats),
                Warmup = p.GetValue(warmup),
                Weights = p.GetValue(weights)!,
                Runtime = CommonOptions.Settings(p, provider,
                    threads) with { Arena = CommonOptions.ParseArena(p.GetValue(arena)!) },
                Profile = p.GetValue(profile),
                CalibrationPairs = p.GetValue(calib),
                CacheDir = p.GetValue(cache)!,
                StartupCache = !p.GetValue(noStartupCache),
                CropSeed = p.GetValue(seed),
                Scene = p.GetValue(scene)!,
            };
            string outDir = p.GetValue(output)
                ?? Path.Combine("bench-results",
                    DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
            return Run(settings, outDir, "fpquant " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)));
        }));
        return cmd;
    }

    private static int Run(BenchSettings settings, string outDir, string command) => LongRun.CancelOnCtrlC(cancel =>
    {
        try
        {
            var report = LongRun.WithProgress("benchmark",
                new ProgressColumn[] { new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn() },
                (ProgressTask task, BenchProgress bp) =>
                {
                    task.Description = Markup.Escape(bp.Stage);
                    task.Value = bp.Total > 0 ? (double)bp.Done / bp.Total : 0;
                },
                new SynchronousProgress<BenchProgress>(bp => Console.Error.WriteLine($"[bench] {bp.Stage}")),
                progress => new BenchRunner(settings, progress).RunToFolder(command, outDir, cancel));
            PrintTable(report);
            Console.WriteLine($"report: {Path.Combine(outDir, "report.md")} (and report.json, charts)");
            // The report is written either way; a failed variant still makes the run fail for scripts that call it.
            var failed = report.Variants.Where(v => v.Failed).Select(v => v.Name).ToList();
            if (failed.Count == 0) return 0;
            Console.Error.WriteLine($"fpquant: error: {failed.Count} of {report.Variants.Count} variant(s) failed " +
                $"({string.Join(", ", failed)}); see the report");
            return VariantFailure.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("fpquant: bench cancelled; no report written");
            return 130;
        }
    });

    public static void PrintTable(BenchReport r)
    {
        var t = new Table().Border(TableBorder.Rounded);
        foreach (var h in ReportWriter.TableHeader) t.AddColumn(Markup.Escape(h));
        foreach (var row in ReportWriter.TableRows(r)) t.AddRow(row.Select(Markup.Escape).ToArray());
        t.Caption(
            $"{r.Hypotheses} hypotheses, {r.Iterations} iteration(s); medians of {r.Repeats}; ratios vs {r.Reference}");
        AnsiConsole.Write(t);
        Console.WriteLine(ReportWriter.MemoryLine(r));
        var truth = ReportWriter.TruthRows(r).ToList();
        if (truth.Count == 0) return;
        var tt = new Table().Border(TableBorder.Rounded);
        foreach (var h in ReportWriter.TruthHeader) tt.AddColumn(Markup.Escape(h));
        foreach (var row in truth) tt.AddRow(row.Select(Markup.Escape).ToArray());
        tt.Caption(
            "against the scene's true pose (ADD over the mesh's points), beside the deviation from " + r.Reference);
        AnsiConsole.Write(tt);
    }
}
