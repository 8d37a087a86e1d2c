using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization;
using FpQuant.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Benchmark;

/// <summary>
/// Runs the first frame for every variant in one process: models prepared, sessions created cold, the first frame
/// timed, then warm-up and repeats in alternating order; medians, min/max and ratios against fp32 of the same run,
/// fidelity on the same inputs, optional profiles. A failing variant is reported as failed and the rest go on.
/// </summary>
public sealed class BenchRunner
{
    private readonly BenchSettings _s;
    private readonly IProgress<BenchProgress>? _progress;

    public BenchRunner(BenchSettings settings, IProgress<BenchProgress>? progress = null)
    {
        _s = settings;
        _progress = progress;
    }

    private sealed class Live : IDisposable
    {
        public required VariantResult Result;
        public PairModel? Refine;
        public PairModel? Score;
        public FirstFrameRunner? Runner;
        public FirstFrameResult? Last;
        public void Dispose() { Refine?.Dispose(); Score?.Dispose(); Refine = null; Score = null; }
    }

    /// <summary>The crop source, the frame settings it implies (the scene's diameter and translation guess) and the
    /// scene itself (null for synthetic crops).</summary>
    public static (ICropSource Crops, FirstFrameSettings Frame, Scene? Scene) CropsFor(BenchSettings s)
    {
        if (s.Scene == "synthetic") return (new SyntheticCropSource(s.CropSeed), s.Frame, null);
        var scene = Scene.Open(s.Scene);
        var frame = s.Frame with { Diameter = scene.Diameter, TranslationGuess = scene.Guess.T };
        return (new SceneCropSource(scene, reuseBuffers: true), frame, scene);
    }

    public BenchReport Run(string command, string workDir, CancellationToken cancel = default)
    {
        _s.Frame.Validate();
        if (_s.Variants.Count == 0) throw new FpQuantException("no variants to benchmark");
        if (_s.Repeats < 1) throw new FpQuantException($"--repeats must be at least 1, got {_s.Repeats}");
        var total = Stopwatch.StartNew();
        var report = new BenchReport
        {
            Machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            OnnxRuntime = typeof(InferenceSession).Assembly.GetName().Version?.ToString() ?? "?",
            Command = command,
            StartedUtc = DateTime.UtcNow,
            Hypotheses = _s.Frame.Hypotheses,
            Iterations = _s.Frame.Iterations,
            RefineBatch = _s.Frame.RefineBatch,
            Repeats = _s.Repeats,
            Warmup = _s.Warmup,
            Weights = WeightSource.Describe(_s.Weights),
            Crops = "",
            Provider = _s.Runtime.Provider.ToString(),
            Threads = _s.Runtime.IntraOpThreads,
        };
        _progress?.Report(new BenchProgress($"preparing the scene ({_s.Scene})", 0, 1));
        var (crops, frame, scene) = CropsFor(_s);
        report.Crops = crops.Description;
        var store = new BenchModelStore(_s.CacheDir, _s.Runtime, _s.CalibrationPairs);
        var live = new List<Live>();
        try
        {
            // 1. Model files.
            string fRefine = store.Float(NetworkKind.Refine, _s.Weights), fScore = store.Float(NetworkKind.Score, _s.Weights);
            // Static presets calibrate on the crops a float first frame of this scene visits.
            if (scene != null)
                store.Calibration = new SceneCalibrationSource(scene, _s.CalibrationPairs, 8, null, fRefine, Math.Max(1, frame.Iterations), _s.Runtime);
            int step = 0;
            foreach (var v in _s.Variants)
            {
                cancel.ThrowIfCancellationRequested();
                _progress?.Report(new BenchProgress($"preparing {v.Name}", step++, _s.Variants.Count));
                var r = new VariantResult { Name = v.Name, Description = v.Description };
                var l = new Live { Result = r };
                live.Add(l);
                Guarded(r, () =>
                {
                    if (v.RefinePath != null) { r.RefineModel = v.RefinePath; r.ScoreModel = v.ScorePath; }
                    else if (v.Options == null) { r.RefineModel = fRefine; r.ScoreModel = fScore; }
                    else
                    {
                        var (rp, rs) = store.Quantized(fRefine, v);
                        var (sp, ss) = store.Quantized(fScore, v);
                        r.RefineModel = rp; r.ScoreModel = sp; r.QuantizeSeconds = rs + ss;
                    }
                    r.RefineBytes = new FileInfo(r.RefineModel!).Length;
                    r.ScoreBytes = new FileInfo(r.ScoreModel!).Length;
                });
            }

            // 2. Warm the process itself (JIT, ONNX Runtime's globals) so the first variant's cold numbers are fair.
            _progress?.Report(new BenchProgress("warming up the process", 0, 1));
            using (var wr = new PairModel(fRefine, _s.Runtime))
            using (var ws = new PairModel(fScore, _s.Runtime))
                new FirstFrameRunner(wr, ws).Run(frame with { Hypotheses = 2, Iterations = Math.Min(1, frame.Iterations) }, crops, cancel);

            // 3. Cold: create the sessions, then the first frame, one variant at a time.
            step = 0;
            using var sampler = new WorkingSetSampler();
            foreach (var l in live.Where(x => !x.Result.Failed))
            {
                _progress?.Report(new BenchProgress($"cold start {l.Result.Name}", step++, live.Count));
                cancel.ThrowIfCancellationRequested();
                var r = l.Result;
                Guarded(r, () =>
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    long baseline = sampler.Current();
                    sampler.ResetPeak();
                    l.Refine = new PairModel(r.RefineModel!, _s.Runtime);
                    l.Score = new PairModel(r.ScoreModel!, _s.Runtime);
                    r.RefineCreateSeconds = l.Refine.Runner.CreationTime.TotalSeconds;
                    r.ScoreCreateSeconds = l.Score.Runner.CreationTime.TotalSeconds;
                    l.Runner = new FirstFrameRunner(l.Refine, l.Score);
                    var sw = Stopwatch.StartNew();
                    l.Last = l.Runner.Run(frame, crops, cancel);
                    r.ColdFrameSeconds = sw.Elapsed.TotalSeconds;
                    r.PeakWorkingSetBytes = sampler.Peak();
                    r.AddedWorkingSetBytes = Math.Max(0, r.PeakWorkingSetBytes - baseline);
                });
            }

            // 4. Warm-up rounds, then repeats in alternating order.
            int rounds = _s.Warmup + _s.Repeats;
            for (int round = 0; round < rounds; round++)
            {
                var alive = live.Where(x => !x.Result.Failed).ToList();
                foreach (int i in Statistics.AlternatingOrder(alive.Count, round))
                {
                    cancel.ThrowIfCancellationRequested();
                    var l = alive[i];
                    _progress?.Report(new BenchProgress($"{(round < _s.Warmup ? "warm-up" : "repeat")} {Math.Max(1, round - _s.Warmup + 1)}: {l.Result.Name}", round, rounds));
                    Guarded(l.Result, () =>
                    {
                        var res = l.Runner!.Run(frame, crops, cancel);
                        if (round >= _s.Warmup) { l.Result.WarmRuns.Add(res.Times); l.Last = res; }
                    });
                }
            }

            // 5. Start-up from ONNX Runtime's saved optimized graph.
            if (_s.StartupCache)
                foreach (var l in live.Where(x => !x.Result.Failed))
                {
                    cancel.ThrowIfCancellationRequested();
                    _progress?.Report(new BenchProgress($"cached start-up {l.Result.Name}", 0, 1));
                    Guarded(l.Result, () =>
                    {
                        l.Result.RefineCreateCachedSeconds = CachedCreation(l.Result.RefineModel!, workDir, $"{l.Result.Name}-refine");
                        l.Result.ScoreCreateCachedSeconds = CachedCreation(l.Result.ScoreModel!, workDir, $"{l.Result.Name}-score");
                    }, failVariant: false);
                }

            // 6. Summaries and fidelity against the reference of this same run.
            Summarize(report, live, frame);

            // 7. Profiles, after all timing, so the profiler perturbs nothing measured.
            if (_s.Profile)
                foreach (var l in live.Where(x => !x.Result.Failed))
                {
                    cancel.ThrowIfCancellationRequested();
                    _progress?.Report(new BenchProgress($"profiling {l.Result.Name}", 0, 1));
                    Guarded(l.Result, () => l.Result.Profile = ProfileVariant(l.Result, crops, frame, workDir, cancel), failVariant: false);
                }
        }
        finally
        {
            foreach (var l in live) l.Dispose();
        }
        report.Variants.AddRange(live.Select(l => l.Result));
        report.TotalSeconds = total.Elapsed.TotalSeconds;
        return report;
    }

    private static void Guarded(VariantResult r, Action a, bool failVariant = true)
    {
        try { a(); }
        catch (OperationCanceledException) { throw; }
        catch (Exception e) when (e is FpQuantException or OnnxRuntimeException or IOException or InvalidOperationException or ArgumentException or OutOfMemoryException)
        {
            if (failVariant) r.Error = e.Message;
            else r.Warnings.Add(e.Message);
        }
    }

    private double CachedCreation(string model, string workDir, string name)
    {
        string dir = Path.Combine(workDir, "optimized-models");
        Directory.CreateDirectory(dir);
        string opt = Path.Combine(dir, name + ".ort.onnx");
        using (new ModelRunner(model, _s.Runtime with { OptimizedModelPath = opt })) { }
        using var cached = new ModelRunner(opt, _s.Runtime with { OptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        return cached.CreationTime.TotalSeconds;
    }

    private ProfileBreakdown ProfileVariant(VariantResult r, ICropSource crops, FirstFrameSettings frame, string workDir, CancellationToken cancel)
    {
        string dir = Path.Combine(workDir, "profiles");
        Directory.CreateDirectory(dir);
        string? rf, sf;
        using (var refine = new PairModel(r.RefineModel!, _s.Runtime with { ProfilePrefix = Path.Combine(dir, $"{r.Name}-refine") }))
        using (var score = new PairModel(r.ScoreModel!, _s.Runtime with { ProfilePrefix = Path.Combine(dir, $"{r.Name}-score") }))
        {
            // Two frames: the first pays the sessions' one-time costs and is left out of the breakdown.
            var runner = new FirstFrameRunner(refine, score);
            runner.Run(frame, crops, cancel);
            runner.Run(frame, crops, cancel);
            rf = refine.Runner.EndProfiling();
            sf = score.Runner.EndProfiling();
        }
        int refineRuns = frame.Iterations * ((frame.Hypotheses + frame.RefineBatch - 1) / frame.RefineBatch);
        var byOp = new Dictionary<string, double>();
        var byModule = new Dictionary<string, double>();
        foreach (var (f, skip) in new[] { (rf, refineRuns), (sf, 1) })
        {
            if (f == null || !File.Exists(f)) continue;
            var (o, m) = ProfileAnalysis.Aggregate(f, skip);
            foreach (var kv in o) byOp[kv.Key] = byOp.GetValueOrDefault(kv.Key) + kv.Value;
            foreach (var kv in m) byModule[kv.Key] = byModule.GetValueOrDefault(kv.Key) + kv.Value;
        }
        return new ProfileBreakdown(byOp, byModule, rf == null ? null : Path.GetFileName(rf), sf == null ? null : Path.GetFileName(sf));
    }

    private static void Summarize(BenchReport report, List<Live> live, FirstFrameSettings frame)
    {
        int h = frame.Hypotheses, it = frame.Iterations;
        foreach (var l in live.Where(x => !x.Result.Failed && x.Result.WarmRuns.Count > 0))
        {
            var r = l.Result;
            r.WarmFrame = Summary.Of(r.WarmRuns.Select(t => t.Total).ToList());
            r.WarmNetwork = Summary.Of(r.WarmRuns.Select(t => t.Network).ToList());
            r.Refine = Summary.Of(r.WarmRuns.Select(t => t.Refine).ToList());
            r.Score = Summary.Of(r.WarmRuns.Select(t => t.Score).ToList());
            r.Crops = Summary.Of(r.WarmRuns.Select(t => t.Crops).ToList());
            foreach (var (name, get) in StageColumns)
                r.StageMedians[name] = Summary.Of(r.WarmRuns.Select(get).ToList()).Median;
            r.ScoreShare = r.WarmNetwork.Median > 0 ? r.Score.Median / r.WarmNetwork.Median : 0;
            r.RefineMsPerPair = it > 0 ? 1000 * r.Refine.Median / (h * it) : 0;
            r.ScoreMsPerPair = 1000 * r.Score.Median / h;
        }
        var reference = live.FirstOrDefault(x => x.Result.Name == "fp32" && !x.Result.Failed && x.Last != null)
                        ?? live.FirstOrDefault(x => !x.Result.Failed && x.Last != null);
        if (reference == null) return;
        report.Reference = reference.Result.Name;
        var rr = reference.Result;
        foreach (var l in live.Where(x => !x.Result.Failed && x.Last != null))
        {
            var r = l.Result;
            if (rr.WarmNetwork != null && r.WarmNetwork != null)
            {
                r.SpeedupNetwork = rr.WarmNetwork.Median / r.WarmNetwork.Median;
                r.SpeedupFrame = rr.WarmFrame!.Median / r.WarmFrame!.Median;
            }
            r.SizeRatio = (double)(r.RefineBytes + r.ScoreBytes) / (rr.RefineBytes + rr.ScoreBytes);
            r.Fidelity = FidelityOf(reference.Last!, l.Last!, frame.Diameter);
        }
    }

    public static readonly (string Name, Func<StageTimes, double> Get)[] StageColumns =
    {
        ("setup", t => t.Setup), ("render", t => t.Render), ("crop", t => t.Crop), ("refine", t => t.Refine),
        ("pose update", t => t.PoseUpdate), ("score", t => t.Score), ("select", t => t.Select), ("total", t => t.Total),
    };

    public static Fidelity FidelityOf(FirstFrameResult reference, FirstFrameResult test, double diameter)
    {
        var rot = reference.Poses.Zip(test.Poses, (a, b) => Mat3.AngleDegrees(a.R, b.R)).ToList();
        var trans = reference.Poses.Zip(test.Poses, (a, b) => 100 * (a.T - b.T).Norm / diameter).ToList();
        return new Fidelity(
            Statistics.Spearman(reference.Scores.Select(x => (double)x).ToList(), test.Scores.Select(x => (double)x).ToList()),
            reference.Best == test.Best,
            QuantMath.Sqnr(reference.Scores, test.Scores),
            reference.RefineOutputs.Length > 0 ? QuantMath.Sqnr(reference.RefineOutputs, test.RefineOutputs) : double.PositiveInfinity,
            rot.Count > 0 ? rot.Average() : 0, rot.Count > 0 ? rot.Max() : 0,
            trans.Count > 0 ? trans.Average() : 0, trans.Count > 0 ? trans.Max() : 0);
    }
}
