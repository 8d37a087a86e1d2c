using System.CommandLine;
using System.Globalization;
using System.Diagnostics;
using FpQuant.Geometry;
using FpQuant.Benchmark;
using FpQuant.Datasets;
using FpQuant.Evaluation;
using FpQuant.Pipeline;
using Spectre.Console;
using FpQuant.Variants;

namespace FpQuant.Cli.Commands;

/// <summary>`fpquant eval`: pose accuracy of every variant on a BOP dataset.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description =
            "A BOP dataset folder (models/, test/ ...), e.g. from 'fpquant make-dataset'", Required = true };
        var split = new Option<string>("--split") { Description = "Split folder", DefaultValueFactory = _ => "test" };
        var variants = new Option<string[]>("--variants") { Description = "Variants: fp32, presets, preset .json " +
            "files or NAME=REFINE.onnx,SCORE.onnx (comma-separated or repeated)",
                DefaultValueFactory = _ => new[] { "fp32" } };
        var weights = CommonOptions.Weights();
        var hyps = new Option<int>("--hypotheses") { Description = "Hypotheses per first frame (FoundationPose: 252)",
            DefaultValueFactory = _ => 252 };
        var iters = new Option<int>("--iterations") { Description = "Refine iterations", DefaultValueFactory = _ => 5 };
        var refineBatch = new Option<int>("--refine-batch") { Description = "Pairs per RefineNet call",
            DefaultValueFactory = _ => 42 };
        var scenes =
            new Option<string>("--scenes") { Description = "Scene ids to evaluate, e.g. 48,49 (default: all)" };
        var objects =
            new Option<string>("--objects") { Description = "Object ids to evaluate, e.g. 1,5 (default: all)" };
        var maxInstances = new Option<int?>("--max-instances") { Description =
            "Evaluate at most this many instances (the first ones in scene, image order)" };
        var minVisible = new Option<double>("--min-visible") { Description = "Skip instances less visible than this " +
            "fraction (scene_gt_info.json visib_fract)", DefaultValueFactory = _ => 0.1 };
        var allInstances = new Option<bool>("--all-instances") { Description =
            "Ignore test_targets_bop19.json and evaluate every annotated instance" };
        var output = new Option<string>("--out") { Description =
            "Folder for results.jsonl, report.md, report.json, BOP CSVs and charts", Required = true };
        var resume = new Option<bool>("--resume") { Description =
            "Keep finished (variant, instance) results in --out and run only the rest" };
        var cache = new Option<string>("--cache") { Description = "Folder for exported and quantized models",
            DefaultValueFactory = _ => Path.Combine("bench-results", "model-cache") };
        var shard = new Option<string>("--shard") { Description = "Run only part K/N of the selected instances (K " +
            "from 0; instance i goes to shard i mod N with all its variants); combine the folders with 'fpquant eval " +
            "merge'" };
        var calib = new Option<int>("--calibration-count") { Description =
            "Crops of the first instance used to calibrate static presets", DefaultValueFactory = _ => 16 };
        var provider = CommonOptions.Provider();
        var threads = CommonOptions.Threads();
        var maxMemory = CommonOptions.MaxMemory();
        var scoreChunk = CommonOptions.ScoreChunk();
        var cmd = new Command("eval",
            "Pose accuracy on a BOP dataset: the first frame for every instance and variant, ADD, ADD-S, MSSD, MSPD, " +
            "recalls, deviation from fp32")
        {
            dataset, split, variants, weights, hyps, iters, refineBatch, scenes, objects, maxInstances, minVisible,
            allInstances, output, resume, cache, calib, provider, threads, shard, maxMemory, scoreChunk,
        };
        var mode = new Option<string>("--mode") { Description = "first-frame (every instance registered) or track " +
            "(video scenes: the first frame registered, the rest tracked)", DefaultValueFactory = _ => "first-frame" };
        var trackIters = new Option<int>("--track-iterations") { Description = "With --mode track: refine iterations " +
            "per tracked frame (FoundationPose: 2)", DefaultValueFactory = _ => TrackSettings.DefaultIterations };
        var lostScore = new Option<double?>("--lost-score") { Description =
            "With --mode track: flag a frame as lost when ScoreNet's logit for the tracked pose is below this" };
        var reregister = new Option<bool>("--reregister-lost") { Description =
            "With --mode track: register the frame after a lost one (needs --lost-score)" };
        var maxFrames =
            new Option<int?>("--max-frames") { Description = "With --mode track: frames per sequence (default: all)" };
        var fromTruth = new Option<bool>("--start-from-truth") { Description =
            "With --mode track: start each sequence at its first frame's true pose instead of registering it" };
        foreach (var o in new Option[] { mode, trackIters, lostScore, reregister, maxFrames, fromTruth })
            cmd.Options.Add(o);
        cmd.Subcommands.Add(CreateMerge());
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var specs = p.GetValue(variants)!.SelectMany(v =>
                v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            // NAME=REFINE.onnx,SCORE.onnx contains a comma itself: glue the score file back on.
            var merged = new List<string>();
            foreach (var s in specs)
                if (merged.Count > 0 && merged[^1].Contains('=') && !merged[^1].Contains(',')
                    && s.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) merged[^1] += "," + s;
                else merged.Add(s);
            var settings = new EvalSettings
            {
                Dataset = p.GetValue(dataset)!, Split = p.GetValue(split)!,
                Variants = merged.Select(VariantSpec.Parse).ToList(), Weights = p.GetValue(weights)!,
                Registration = new RegistrationSettings
                {
                    Hypotheses = p.GetValue(hyps), Iterations = p.GetValue(iters),
                    RefineBatch = p.GetValue(refineBatch),
                    MaxMemoryBytes = FlagValues.MemorySize(p.GetValue(maxMemory)!), ScoreChunk = p.GetValue(scoreChunk),
                },
                Selection = new InstanceSelection
                {
                    Scenes = FlagValues.Ids(p.GetValue(scenes), "--scenes"),
                    Objects = FlagValues.Ids(p.GetValue(objects), "--objects"),
                    MaxInstances = p.GetValue(maxInstances), MinVisible = p.GetValue(minVisible),
                    UseTargets = !p.GetValue(allInstances),
                },
                OutDir = p.GetValue(output)!, CacheDir = p.GetValue(cache)!,
                Runtime = CommonOptions.Settings(p, provider, threads),
                Resume = p.GetValue(resume), CalibrationPairs = p.GetValue(calib),
                Shard = p.GetValue(shard) is string sh ? EvalShard.Parse(sh) : null,
            };
            string command = "fpquant " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            if (p.GetValue(mode) == "track" && p.GetValue(shard) != null)
                throw new FpQuant.Core.FpQuantException("--shard splits first-frame instances; --mode track tracks " +
                    "whole sequences (select them with --scenes and --objects)");
            if (p.GetValue(mode) == "track")
                return TrackEvalCommand.Run(new TrackEvalSettings
                {
                    Eval = settings,
                    Track = new TrackSettings { Iterations = p.GetValue(trackIters),
                        LostScoreThreshold = p.GetValue(lostScore) },
                    MaxFrames = p.GetValue(maxFrames), StartFromTruth = p.GetValue(fromTruth),
                    ReregisterWhenLost = p.GetValue(reregister),
                }, command);
            if (p.GetValue(mode) != "first-frame")
                throw new FpQuant.Core.FpQuantException($"--mode '{p.GetValue(mode)}': use first-frame or track");
            foreach (var o in new Option[] { trackIters, lostScore, reregister, maxFrames, fromTruth })
                if (p.GetResult(o) is { Implicit: false })
                    throw new FpQuant.Core.FpQuantException($"{o.Name} is for --mode track");
            var report = Run(settings, command);
            Print(report, settings.OutDir);
            if (!report.AnyFailed) return 0;
            foreach (var v in report.Variants.Where(v => v.Failed))
                Console.Error.WriteLine($"fpquant: error: variant {v.Name} failed: {v.Error}");
            return VariantFailure.ExitCode;
        }));
        return cmd;
    }

    /// <summary>
    /// `fpquant eval merge DIR... --out OUT`: the shards of one run into the report a single run writes.
    /// </summary>
    private static Command CreateMerge()
    {
        var folders = new Argument<string[]>("shards") { Description =
            "The --out folders of 'eval --shard K/N', one per K", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description =
            "Folder for the merged results.jsonl, report.md, report.json, BOP CSVs and charts", Required = true };
        var cmd = new Command("merge",
            "Merge the folders of 'eval --shard K/N' runs into one report, as a single run would write it") { folders,
            output };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            string command = "fpquant " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            var report = EvalMerge.Run(p.GetValue(folders)!, p.GetValue(output)!, command);
            Print(report, p.GetValue(output)!);
            foreach (var v in report.Variants.Where(v => v.Failed))
                Console.Error.WriteLine($"fpquant: error: variant {v.Name} failed: {v.Error}");
            return report.AnyFailed ? VariantFailure.ExitCode : 0;
        }));
        return cmd;
    }

    private static EvalReport Run(EvalSettings settings, string command) => LongRun.CancelOnCtrlC(cancel =>
    {
        // Not a terminal: one plain line per step, with an estimate of the time left once first frames are running.
        var clock = Stopwatch.StartNew();
        double? startedAt = null;
        int startedDone = 0;
        var lines = new SynchronousProgress<EvalProgress>(e =>
        {
            string eta = "";
            if (e.Total > 0)
            {
                // The estimate starts with the first frames: preparing models is not counted in the rate.
                if (startedAt == null) { startedAt = clock.Elapsed.TotalSeconds; startedDone = e.Done; }
                else if (e.Done > startedDone)
                {
                    double per = (clock.Elapsed.TotalSeconds - startedAt.Value) / (e.Done - startedDone);
                    eta = string.Create(CultureInfo.InvariantCulture, $", about {per * (e.Total - e.Done):F0} s left");
                }
                eta = $" [{e.Done}/{e.Total}{eta}]";
            }
            Console.WriteLine($"[eval] {e.Stage}{eta}");
        });
        return LongRun.WithProgress("eval",
            new ProgressColumn[]
            {
                new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                new RemainingTimeColumn(),
            },
            (ProgressTask task, EvalProgress e) =>
            {
                task.Description = Markup.Escape(e.Stage.Length > 70 ? e.Stage[..70] : e.Stage);
                if (e.Total > 0) { task.MaxValue = e.Total; task.Value = e.Done; }
            },
            lines, progress => new EvalRunner(settings, progress).Run(command, cancel));
    });

    private static void Print(EvalReport r, string outDir)
    {
        var ci = CultureInfo.InvariantCulture;
        var t = new Table().Border(TableBorder.Rounded).AddColumn("variant")
            .AddColumn(new TableColumn("estimated").RightAligned())
            .AddColumn(new TableColumn("ADD-S AUC").RightAligned())
            .AddColumn(new TableColumn("ADD(-S)<0.1d").RightAligned())
            .AddColumn(new TableColumn("AR VSD").RightAligned()).AddColumn(new TableColumn("AR MSSD").RightAligned())
            .AddColumn(new TableColumn("AR MSPD").RightAligned()).AddColumn(new TableColumn("AR BOP").RightAligned())
            .AddColumn(new TableColumn("s/inst").RightAligned())
            .AddColumn(new TableColumn("vs fp32 deg/mm").RightAligned()).AddColumn("status");
        foreach (var v in r.Variants)
            t.AddRow(Markup.Escape(v.Name), $"{v.Estimated}/{v.Instances}", v.AucAdds.ToString("F1", ci),
                v.AddOrAdds01d.ToString("F1", ci),
                v.ArVsd.ToString("F1", ci), v.ArMssd.ToString("F1", ci), v.ArMspd.ToString("F1", ci),
                v.ArBop.ToString("F1", ci), v.MedianSecondsPerInstance.ToString("F2", ci),
                v.MeanRotationDeviationDeg is double d
                    ? string.Create(ci, $"{d:F2} / {v.MeanTranslationDeviationMm:F2}") : "-",
                v.Failed ? "[red]failed[/]" : "ok");
        AnsiConsole.Write(t);
        Console.WriteLine(string.Create(ci,
            $"scoring: {1000 * r.MeanScoringSecondsPerInstance:F2} ms per instance (all metrics, all variants) = " +
            $"{100 * r.ScoringShareOfFirstFrame:F3} % of a first frame ({r.MeanFirstFrameSeconds:F2} s)"));
        Console.WriteLine($"report: {Path.Combine(outDir, "report.md")} (also report.json, summary.csv, " +
            $"results.jsonl, BOP CSVs, recall-adds.png, recall-mssd.png)");
    }
}
