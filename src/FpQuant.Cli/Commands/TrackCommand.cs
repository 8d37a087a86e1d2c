using System.CommandLine;
using System.Globalization;
using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Datasets;
using FpQuant.Evaluation;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;
using Spectre.Console;
using FpQuant.Variants;

namespace FpQuant.Cli.Commands;

/// <summary>
/// `fpquant track`: FoundationPose's tracking over a sequence: the first frame registered, the rest tracked.
/// </summary>
internal static class TrackCommand
{
    public static Command Create()
    {
        var sequence = new Option<string>("--sequence") { Description =
            "A BOP-format dataset with video scenes (e.g. from 'fpquant make-dataset --video')" };
        var demo = new Option<bool>("--demo") { Description =
            "Track the built-in demo video (rendered in memory; no files needed)" };
        var frames =
            new Option<int>("--frames") { Description = "Frames of the --demo video", DefaultValueFactory = _ => 30 };
        var split = new Option<string>("--split") { Description = "Split folder of --sequence",
            DefaultValueFactory = _ => "test" };
        var sceneId = new Option<int?>("--scene") { Description = "Scene id in --sequence (default: the first)" };
        var objId = new Option<int?>("--object") { Description =
            "Object id to track (default: the first annotated in the scene's first frame)" };
        var maxFrames =
            new Option<int?>("--max-frames") { Description = "Track at most this many frames of --sequence" };
        var models = new Option<string[]>("--model") { Description = "Models: a variant name (fp32 or a preset, " +
            "quantized on the fly), or REFINE.onnx and SCORE.onnx (repeat --model)" };
        var weights = CommonOptions.Weights();
        var trackIters = new Option<int>("--track-iterations") { Description = "Refine iterations per tracked frame " +
            "(FoundationPose: 2)", DefaultValueFactory = _ => TrackSettings.DefaultIterations };
        var hyps = new Option<int>("--hypotheses") { Description =
            "Hypotheses of the first frame's registration (FoundationPose: 252)", DefaultValueFactory = _ => 252 };
        var iters = new Option<int>("--iterations") { Description =
            "Refine iterations of the first frame's registration", DefaultValueFactory = _ => 5 };
        var fromTruth = new Option<bool>("--start-from-truth") { Description =
            "Start from the first frame's true pose instead of registering it (tracking alone)" };
        var lostScore = new Option<double?>("--lost-score") { Description = "Lost-track check: ScoreNet scores every " +
            "tracked pose; a logit below this flags the frame as lost (reported)" };
        var reregister = new Option<bool>("--reregister-lost") { Description =
            "Register the frame after a lost one instead of tracking on (needs --lost-score)" };
        var output = new Option<string>("--out") { Description =
            "Folder for track.json, track.png and the overlay strip", DefaultValueFactory = _ => "track-results" };
        var overlay = new Option<bool>("--overlay") { Description =
            "Also write overlay-strip.png: a few frames with the tracked pose drawn" };
        var cache = new Option<string>("--cache") { Description = "Folder for exported and quantized models",
            DefaultValueFactory = _ => Path.Combine("bench-results", "model-cache") };
        var calib = new Option<int>("--calibration-count") { Description = "Crops of the first frame used to " +
            "calibrate a static preset given to --model", DefaultValueFactory = _ => 16 };
        var provider = CommonOptions.Provider();
        var threads = CommonOptions.Threads();
        var cmd = new Command("track",
            "Track an object through a sequence with FoundationPose's tracking: the first frame registered, then " +
            "RefineNet on one pair per iteration")
        {
            sequence, demo, frames, split, sceneId, objId, maxFrames, models, weights, trackIters, hyps, iters,
            fromTruth, lostScore, reregister, output, overlay, cache, calib, provider, threads,
        };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            if (p.GetValue(demo) == (p.GetValue(sequence) != null))
                throw new FpQuantException(
                    "give one input: --sequence DIR (a BOP dataset with a video scene) or --demo");
            if (!p.GetValue(demo) && p.GetResult(frames) is { Implicit: false })
                throw new FpQuantException(
                    "--frames sets the length of the --demo video; for --sequence use --max-frames");
            if (p.GetValue(demo)
                && (p.GetValue(sceneId) != null || p.GetValue(objId) != null || p.GetValue(maxFrames) != null))
                throw new FpQuantException("--scene, --object and --max-frames select from a --sequence; the --demo " +
                    "video takes --frames");
            var settings = new SequenceTrackingSettings
            {
                Registration =
                    new RegistrationSettings { Hypotheses = p.GetValue(hyps), Iterations = p.GetValue(iters) },
                Track = new TrackSettings { Iterations = p.GetValue(trackIters),
                    LostScoreThreshold = p.GetValue(lostScore) },
                StartFromTruth = p.GetValue(fromTruth),
                ReregisterWhenLost = p.GetValue(reregister),
            };
            settings.Validate();
            string outDir = p.GetValue(output)!;
            var seq = p.GetValue(demo)
                ? SyntheticVideo.DemoSequence(p.GetValue(frames))
                : BopSequence.Open(BopDataset.Open(p.GetValue(sequence)!, p.GetValue(split)!), p.GetValue(sceneId),
                    p.GetValue(objId)).ToTrackSequence(p.GetValue(maxFrames));
            foreach (var w in seq.First.Mesh.Warnings) Console.Error.WriteLine($"fpquant: warning: {w}");
            var runtime = CommonOptions.Settings(p, provider, threads);
            var modelValues = p.GetValue(models) ?? Array.Empty<string>();
            var (pathA, pathB, modelText) =
                BenchModelStore.ResolvePair(modelValues, p.GetValue(weights)!, p.GetValue(cache)!, runtime,
                floatRefiner => new SceneInputSource(seq.First, p.GetValue(calib), CalibrationDefaults.BatchSize,
                    settings.Registration.Crops, floatRefiner, Math.Max(1, settings.Registration.Iterations), runtime));
            string variant = VariantName(modelValues);
            var (refine, score) = CropPairSession.OpenRefineAndScore(pathA, pathB, runtime);
            using var disposeRefine = refine;
            using var disposeScore = score;
            using var refiner = new NetworkTrackRefiner(refine);
            using var scorer = settings.Track.LostScoreThreshold != null ? new NetworkTrackScorer(score) : null;
            var tracker = new PoseTracker(seq.First, refiner, settings.Track, scorer);
            Console.WriteLine($"sequence: {seq.Description}; object diameter {seq.First.Diameter:F4} m");
            Console.WriteLine($"models: {modelText}; tracking {settings.Track.Iterations} iteration(s) a frame, " +
                $"RefineNet on one pair");
            var ci = CultureInfo.InvariantCulture;
            var result = SequenceTracking.Run(seq, tracker, new FirstFrameRunner(refine, score), settings, f =>
            {
                if (f.Lost)
                    Console.Error.WriteLine(string.Create(ci,
                        $"fpquant: warning: frame {f.FrameId}: track lost (ScoreNet logit {f.Score:F4} < " +
                        $"--lost-score {settings.Track.LostScoreThreshold})"));
                if (f.Registered && f.Index > 0) Console.WriteLine($"frame {f.FrameId}: re-registered");
            });
            Directory.CreateDirectory(outDir);
            AtomicFile.WriteAllText(Path.Combine(outDir, TrackOutput.JsonFile),
                TrackOutput.Json(variant, result, settings.Track.LostScoreThreshold != null));
            TrackOutput.WriteChart(Path.Combine(outDir, TrackOutput.ChartFile), variant, result);
            if (p.GetValue(overlay)) TrackOutput.WriteStrip(Path.Combine(outDir, TrackOutput.StripFile), seq, result);
            Print(result, variant, settings, outDir, p.GetValue(overlay));
            return 0;
        }));
        return cmd;
    }

    /// <summary>The variant as track.json names it: the name given, fp32 by default, or the two files' names.</summary>
    private static string VariantName(IReadOnlyList<string> values)
    {
        var list = values.SelectMany(v =>
            v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        return list.Count switch
        {
            0 => "fp32",
            1 => list[0],
            _ => string.Join(" + ", list.Select(Path.GetFileName)),
        };
    }

    private static void Print(List<TrackedFrame> frames, string variant, SequenceTrackingSettings s, string outDir,
        bool overlay)
    {
        var ci = CultureInfo.InvariantCulture;
        var tracked = frames.Where(f => !f.Registered && f.Step != null).ToList();
        var first = frames[0];
        Console.WriteLine(first.Registered
            ? string.Create(ci,
                $"frame {first.FrameId}: registered in {first.Seconds:F2} s ({s.Registration.Hypotheses} hypotheses, " +
                $"{s.Registration.Iterations} iteration(s))")
            : $"frame {first.FrameId}: started from the true pose");
        if (tracked.Count > 0)
        {
            double M(Func<TrackFrameResult, double> get) =>
                1000 * Summary.Of(tracked.Select(f => get(f.Step!.Value)).ToList()).Median;
            double median = TrackOutput.MedianMs(frames);
            var t = new Table().Border(TableBorder.Rounded).AddColumn("tracked frames").AddColumn("ms/frame (median)")
                .AddColumn("frames/s")
                .AddColumn("render ms").AddColumn("crop ms").AddColumn("RefineNet ms").AddColumn("update ms")
                .AddColumn("ScoreNet ms");
            t.AddRow(tracked.Count.ToString(ci), median.ToString("F1", ci), (1000 / median).ToString("F1", ci),
                M(x => x.RenderSeconds).ToString("F2", ci),
                M(x => x.CropSeconds).ToString("F2", ci), M(x => x.RefineSeconds).ToString("F1", ci),
                M(x => x.UpdateSeconds).ToString("F3", ci), M(x => x.ScoreSeconds).ToString("F1", ci));
            t.Caption(
                $"{variant}: the tracking step alone (render + crop + networks + update), frame loading excluded");
            AnsiConsole.Write(t);
        }
        var errors = frames.Where(f => f.Error != null).Select(f => f.Error!.Value.AddMm).ToList();
        if (errors.Count > 0)
            Console.WriteLine(string.Create(ci,
                $"ADD against the truth: first frame {errors[0]:F1} mm, last {errors[^1]:F1} mm, median " +
                $"{Summary.Of(errors).Median:F1} mm (with synthetic weights RefineNet is untrained, so the track " +
                $"drifts: the figures show the machinery, not FoundationPose's accuracy)"));
        if (s.Track.LostScoreThreshold != null)
            Console.WriteLine($"lost-track check: {frames.Count(f => f.Lost)} of {tracked.Count} tracked frame(s) " +
                $"flagged lost; {frames.Count(f => f.Registered && f.Index > 0)} re-registered");
        Console.WriteLine($"wrote {Path.Combine(outDir, TrackOutput.JsonFile)}, " +
            $"{Path.Combine(outDir, TrackOutput.ChartFile)}" + (overlay
                ? $", {Path.Combine(outDir, TrackOutput.StripFile)}" : ""));
    }
}
