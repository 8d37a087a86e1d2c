using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;
using FpQuant.Rendering;
using FpQuant.Runtime;
using Spectre.Console;
using FpQuant.Variants;

namespace FpQuant.Cli.Commands;

/// <summary>`fpquant register`: FoundationPose's registration of one object in one RGB-D frame.</summary>
internal static class RegisterCommand
{
    public static Command Create()
    {
        var rgb = new Option<string>("--rgb") { Description = "Colour image (PNG)" };
        var depth = new Option<string>("--depth") { Description =
            "Depth: 16-bit PNG in millimetres, or raw float32 in metres (same size as --rgb)" };
        var mask = new Option<string>("--mask") { Description = "Object mask (PNG, non-zero = object)" };
        var k = new Option<string>("--K") { Description = "Intrinsics fx,fy,cx,cy or a cam_K.txt file (3x3)" };
        var mesh = new Option<string>("--mesh") { Description =
            "Object mesh: OBJ (vertex colours or a PNG texture) or PLY, in metres" };
        var demo = new Option<bool>("--demo") { Description = "Run the built-in demo scene (no files needed)" };
        var scene = new Option<string>("--scene") { Description =
            "A scene folder: rgb.png, depth.png, mask.png, cam_K.txt, mesh.obj" };
        var writeDemo = new Option<string>("--write-demo") { Description =
            "Write the demo scene as a scene folder here (then register it)" };
        var weights = CommonOptions.Weights();
        var modelsOption = new Option<string[]>("--model") { Description = "Models: a variant name (fp32 or a " +
            "preset, quantized on the fly), or REFINE.onnx and SCORE.onnx (repeat --model)" };
        var iters = new Option<int>("--iterations") { Description = "Refine iterations", DefaultValueFactory = _ => 5 };
        var hyps = new Option<int>("--hypotheses") { Description = "Hypotheses (FoundationPose: 252)",
            DefaultValueFactory = _ => 252 };
        var refineBatch = new Option<int>("--refine-batch") { Description = "Pairs per RefineNet call",
            DefaultValueFactory = _ => FirstFrameSettings.IsaacRosRefineBatch };
        var refineRatio = new Option<double>("--refine-crop-ratio") { Description = "Refiner window = diameter x this",
            DefaultValueFactory = _ => 1.2 };
        var scoreRatio = new Option<double>("--score-crop-ratio") { Description = "Scorer window = diameter x this",
            DefaultValueFactory = _ => 1.1 };
        var overlay = new Option<string>("--overlay") { Description =
            "Write the image with the mesh drawn at the chosen pose (PNG)" };
        var json = new Option<string>("--json") { Description = "Write the pose, scores and stage times as JSON" };
        var cache = new Option<string>("--cache") { Description = "Folder for exported and quantized models",
            DefaultValueFactory = _ => Path.Combine("bench-results", "model-cache") };
        var calib = new Option<int>("--calibration-count") { Description =
            "Crops of this scene used to calibrate a static preset given to --model", DefaultValueFactory = _ => 16 };
        var provider = CommonOptions.Provider();
        var threads = CommonOptions.Threads();
        var maxMemory = CommonOptions.MaxMemory();
        var scoreChunk = CommonOptions.ScoreChunk();
        var arena = CommonOptions.Arena();
        var cmd = new Command("register",
            "Register an object in an RGB-D frame with FoundationPose's first frame: hypotheses, rendering, crops, " +
            "refinement, scoring")
        {
            rgb, depth, mask, k, mesh, demo, scene, writeDemo, weights, modelsOption, iters, hyps, refineBatch,
            refineRatio, scoreRatio, overlay, json, cache, calib, provider, threads, maxMemory, scoreChunk, arena,
        };
        cmd.SetAction(p => Program.Guard(p, () =>
        {
            var total = Stopwatch.StartNew();
            using var memory = new WorkingSetSampler();
            var files =
                new[] { rgb, depth, mask, k, mesh }.Where(o => p.GetResult(o) != null).Select(o => o.Name).ToList();
            int sources = (p.GetValue(demo) ? 1 : 0) + (p.GetValue(scene) != null ? 1
                : 0) + (p.GetValue(writeDemo) != null ? 1 : 0) + (files.Count > 0 ? 1 : 0);
            if (sources != 1)
                throw new FpQuantException("give one input: --demo, --write-demo DIR, --scene DIR, or all of --rgb, " +
                    "--depth, --mask, --K and --mesh");
            var sw = Stopwatch.StartNew();
            Scene sc;
            if (p.GetValue(demo)) sc = DemoScene.Create();
            else if (p.GetValue(writeDemo) is string wd) { DemoScene.Save(wd); Console.WriteLine(
                $"wrote the demo scene to {wd}"); sc = Scene.LoadFolder(wd); }
            else if (p.GetValue(scene) is string dir) sc = Scene.LoadFolder(dir);
            else
            {
                var missing =
                    new[] { rgb, depth, mask, k, mesh }.Where(o => p.GetResult(o) == null).Select(o => o.Name).ToList();
                if (missing.Count > 0)
                    throw new FpQuantException($"missing {string.Join(", ", missing)}: a frame needs --rgb, --depth, " +
                        $"--mask, --K and --mesh");
                var frame = FrameLoader.Load(p.GetValue(rgb)!, p.GetValue(depth)!, p.GetValue(mask)!,
                    CameraIntrinsics.Parse(p.GetValue(k)!));
                sc = Scene.Create(frame, MeshFiles.Load(p.GetValue(mesh)!), $"frame {p.GetValue(rgb)}", null,
                    $"mask '{p.GetValue(mask)}'", $"depth '{p.GetValue(depth)}'");
            }
            double loadSeconds = sw.Elapsed.TotalSeconds;
            foreach (var w in sc.Mesh.Warnings) Console.Error.WriteLine($"fpquant: warning: {w}");

            var settings = new RegistrationSettings
            {
                Hypotheses = p.GetValue(hyps), Iterations = p.GetValue(iters), RefineBatch = p.GetValue(refineBatch),
                MaxMemoryBytes = FlagValues.MemorySize(p.GetValue(maxMemory)!), ScoreChunk = p.GetValue(scoreChunk),
                Crops = new CropSettings { RefineCropRatio = p.GetValue(refineRatio),
                    ScoreCropRatio = p.GetValue(scoreRatio) },
            };
            var runtime = CommonOptions.Settings(p, provider,
                threads) with { Arena = CommonOptions.ParseArena(p.GetValue(arena)!) };
            sw.Restart();
            var (pathA, pathB,
                modelText) = BenchModelStore.ResolvePair(p.GetValue(modelsOption) ?? Array.Empty<string>(),
                p.GetValue(weights)!, p.GetValue(cache)!,
                runtime,
                floatRefiner => new SceneInputSource(sc, p.GetValue(calib), CalibrationDefaults.BatchSize,
                    settings.Crops, floatRefiner, Math.Max(1, settings.Iterations), runtime));
            double prepareSeconds = sw.Elapsed.TotalSeconds;
            sw.Restart();
            // Quantizing a preset on the fly leaves scratch behind; the sessions start from a trimmed process.
            ProcessMemory.Trim();
            // The peak so far is the models stage's (export, calibration, quantization); what the sessions and the
            // frame add is measured from here, against the trimmed process.
            long modelsPeak = memory.Peak();
            long beforeSessions = memory.Current();
            memory.ResetPeak();
            using var models = FirstFrameModels.OpenEitherOrder(pathA, pathB, runtime,
                chunkedScore: settings.MaxMemoryBytes > 0 || settings.ScoreChunk > 0);
            double sessionSeconds = sw.Elapsed.TotalSeconds;
            var result = Registration.Run(sc, models.Runner, settings);
            long framePeak = memory.Peak();
            var peak = new MemoryUse(memory.OverallPeak(), modelsPeak, framePeak,
                Math.Max(0, framePeak - beforeSessions));
            Print(sc, result, settings.Iterations, modelText, loadSeconds, prepareSeconds, sessionSeconds,
                models.RefineCreateSeconds, models.ScoreCreateSeconds, peak);
            if (p.GetValue(overlay) is string ov)
            {
                Registration.WriteOverlay(sc, result.BestCentred, ov);
                Console.WriteLine($"overlay: {ov}");
            }
            if (p.GetValue(json) is string jp) WriteJson(jp, sc, result, modelText, peak);
            Console.WriteLine($"total {total.Elapsed.TotalSeconds:F2} s");
            return 0;
        }));
        return cmd;
    }

    private static string PoseText(Pose p) => string.Join("\n",
        PoseFile.Rows(p)
            .Select(r => "  " + string.Join(" ",
                r.Select(x => x.ToString("+0.000000;-0.000000", CultureInfo.InvariantCulture)))));

    /// <summary>Peak working set of the process over the run; the peaks while the models were made (export,
    /// calibration, quantization) and while the sessions ran the frame; and how much the sessions, the buffers and the
    /// frame added over the trimmed process before them.</summary>
    private sealed record MemoryUse(long PeakBytes, long ModelsPeakBytes, long FramePeakBytes, long AddedBytes);

    private static void Print(Scene sc, RegistrationResult r, int iterations, string models, double load,
        double prepare, double sessions, double refineCreate, double scoreCreate, MemoryUse memory)
    {
        var g = sc.Guess;
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine($"scene: {sc.Description}; {sc.Frame.Width}x{sc.Frame.Height}, K {sc.Frame.K}; mesh " +
            $"{sc.Mesh.TriangleCount} triangles ({sc.Mesh.ColorSource.ToString().ToLowerInvariant()} colour), " +
            $"diameter {sc.Diameter:F4} m");
        Console.WriteLine(string.Create(ci,
            $"translation guess: ({g.T.X:F4}, {g.T.Y:F4}, {g.T.Z:F4}) m from the mask's box centre ({g.CenterU}, " +
            $"{g.CenterV}) and median depth {g.MedianDepth:F4} m of {g.ValidDepthPixels} of {g.MaskPixels} mask " +
            $"pixels"));
        Console.WriteLine($"models: {models}");
        var f = r.Frame;
        Console.WriteLine(string.Create(ci,
            $"chosen hypothesis {f.Best} of {f.Poses.Count} (score {f.Scores[f.Best]:F4}; scores {f.Scores.Min():F4} " +
            $".. {f.Scores.Max():F4})"));
        Console.WriteLine("pose (object in camera, mesh frame, metres):");
        Console.WriteLine(PoseText(r.Best));
        if (TruthAccuracy.Of(sc, r.Frame) is TruthAccuracy a)
            Console.WriteLine(string.Create(ci,
                $"against the true pose: rotation error {a.Chosen.RotationDeg:F1} deg, translation error " +
                $"{a.Chosen.TranslationMm:F1} mm, ADD {a.Chosen.AddMm:F1} mm; all {f.Poses.Count} refined " +
                $"hypotheses: mean {a.MeanRotationDeg:F1} deg, {a.MeanTranslationMm:F1} mm, ADD {a.MeanAddMm:F1} mm " +
                $"(with synthetic weights the choice is meaningless; a real checkpoint makes it a pose)"));
        var t = new Table().Border(TableBorder.Rounded).AddColumn("stage")
            .AddColumn(new TableColumn("seconds").RightAligned()).AddColumn("what");
        void Row(string name, double s, string what) =>
            t.AddRow(Markup.Escape(name), s.ToString("F3", ci), Markup.Escape(what));
        Row("load", load, "images, depth, mask and mesh read; mesh centred, diameter, frame XYZ");
        Row("models", prepare, "models exported / quantized (cached after the first run)");
        Row("sessions", sessions,
            $"ONNX Runtime sessions created (refine {refineCreate:F2} s, score {scoreCreate:F2} s)");
        Row("setup", r.Times.Setup, "translation guess and hypotheses");
        Row("render", r.Times.Render,
            $"{f.Poses.Count} hypotheses x ({iterations} refine iteration(s) + scoring) rendered into 160x160 windows");
        Row("crop", r.Times.Crop, "the frame warped into every window");
        Row("refine", r.Times.Refine, "RefineNet");
        Row("pose update", r.Times.PoseUpdate, "tanh, so3 exponential, egocentric update");
        Row("score", r.Times.Score, f.Plan is { } sp && sp.ScoreChunk < f.Poses.Count
            ? $"ScoreNet: per-pair part in chunks of {sp.ScoreChunk}, cross attention over all {f.Poses.Count} " +
                $"hypotheses at once"
            : "ScoreNet over all hypotheses as one group");
        Row("select", r.Times.Select, "argmax");
        Row("first frame", r.Times.Total, "setup .. select");
        AnsiConsole.Write(t);
        if (f.Plan is { } plan)
            Console.WriteLine(string.Create(ci,
                $"batches: refine {plan.RefineBatch} pairs per call, score chunk {plan.ScoreChunk} ({plan.Reason})"));
        Console.WriteLine(string.Create(ci,
            $"memory: peak working set {memory.PeakBytes / 1048576.0:F0} MB; while the models were made " +
            $"{memory.ModelsPeakBytes / 1048576.0:F0} MB; with the sessions and the frame " +
            $"{memory.FramePeakBytes / 1048576.0:F0} MB, of which {memory.AddedBytes / 1048576.0:F0} MB came with " +
            $"them"));
    }

    private static void WriteJson(string path, Scene sc, RegistrationResult r, string models, MemoryUse memory)
    {
        var o = new
        {
            scene = sc.Description,
            models,
            pose = PoseFile.Rows(r.Best).ToArray(),
            best = r.Frame.Best,
            scores = r.Frame.Scores,
            translationGuess = new[] { sc.Guess.T.X, sc.Guess.T.Y, sc.Guess.T.Z },
            diameter = sc.Diameter,
            stages = BenchRunner.StageColumns.ToDictionary(c => c.Name, c => c.Get(r.Times)),
            truePose = sc.TruePose is Pose tp ? PoseFile.Rows(tp).ToArray() : null,
            truthError = TruthAccuracy.Of(sc, r.Frame),
            refineBatch = r.Frame.Plan?.RefineBatch,
            scoreChunk = r.Frame.Plan?.ScoreChunk,
            peakWorkingSetBytes = memory.PeakBytes,
            modelsPeakWorkingSetBytes = memory.ModelsPeakBytes,
            framePeakWorkingSetBytes = memory.FramePeakBytes,
            addedWorkingSetBytes = memory.AddedBytes,
        };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(o, ReportJson.Indented));
    }
}
