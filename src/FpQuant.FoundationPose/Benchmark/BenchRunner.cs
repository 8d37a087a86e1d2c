using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization;
using FpQuant.Runtime;
using Microsoft.ML.OnnxRuntime;
using FpQuant.Variants;

namespace FpQuant.Benchmark;

/// <summary>
/// Runs the first frame for every variant in one process: models prepared, sessions created cold, the first frame
/// timed, then warm-up and repeats in alternating order; medians, min/max and ratios against fp32 of the same run,
/// fidelity on the same inputs, optional profiles. A failing variant is reported as failed and the rest go on.
/// </summary>
internal sealed class BenchRunner
{
    private readonly BenchSettings _s;
    private readonly IProgress<BenchProgress>? _progress;

    public BenchRunner(BenchSettings settings, IProgress<BenchProgress>? progress = null)
    {
        _s = settings;
        _progress = progress;
    }

    /// <summary>A variant's result and its sessions while it is the one alive.</summary>
    private sealed class Live : IDisposable
    {
        public required VariantResult Result;
        public FirstFrameModels? Models;
        public FirstFrameResult? Last;
        public void Dispose() { Models?.Dispose(); Models = null; }
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

    /// <summary>Runs in a private work folder, then writes the report, its charts and any profiles to
    /// <paramref name="outDir"/>. Only a finished run writes a report; the work folder is removed either way.</summary>
    public BenchReport RunToFolder(string command, string outDir, CancellationToken cancel = default)
    {
        string work = Path.Combine(Path.GetTempPath(), $"fpquant-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var report = Run(command, work, cancel);
            ReportWriter.WriteAll(report, outDir);
            string profiles = Path.Combine(work, "profiles");
            if (Directory.Exists(profiles))
            {
                string dst = Path.Combine(outDir, "profiles");
                Directory.CreateDirectory(dst);
                foreach (var f in Directory.GetFiles(profiles))
                    File.Move(f, Path.Combine(dst, Path.GetFileName(f)), true);
            }
            return report;
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (Exception e) when (e is IOException
                or UnauthorizedAccessException) { }
        }
    }

    public BenchReport Run(string command, string workDir, CancellationToken cancel = default)
    {
        _s.Frame.Validate();
        if (_s.Variants.Count == 0) throw new FpQuantException("no variants to benchmark");
        if (_s.Repeats < 1) throw new FpQuantException($"Repeats must be at least 1, got {_s.Repeats}");
        if (_s.Warmup < 0) throw new FpQuantException($"Warmup must be 0 or more, got {_s.Warmup}");
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
            MaxMemoryBytes = _s.Frame.MaxMemoryBytes,
        };
        _progress?.Report(new BenchProgress($"preparing the scene ({_s.Scene})", 0, 1));
        var (crops, frame, scene) = CropsFor(_s);
        report.Crops = crops.Description;
        var store = new BenchModelStore(_s.CacheDir, _s.Runtime, _s.CalibrationPairs);
        var live = new List<Live>();
        using var sampler = new WorkingSetSampler(timelineMs: MemoryTimelineMs);
        try
        {
            // 1. Model files.
            string fRefine = store.Float(NetworkKind.Refine, _s.Weights),
                fScore = store.Float(NetworkKind.Score, _s.Weights);
            // Static presets calibrate on the crops a float first frame of this scene visits.
            if (scene != null)
                store.CalibrationFor = f =>
                    new SceneInputSource(scene, _s.CalibrationPairs, CalibrationDefaults.BatchSize,
                    null, f, Math.Max(1, frame.Iterations), _s.Runtime);
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
                    (r.RefineModel, r.ScoreModel, r.QuantizeSeconds) = store.ModelsFor(v, _s.Weights);
                    r.RefineBytes = new FileInfo(r.RefineModel!).Length;
                    r.ScoreBytes = new FileInfo(r.ScoreModel!).Length;
                });
            }

            // 2. Warm the process itself (JIT, ONNX Runtime's globals) so the first variant's cold numbers are fair;
            // what preparing the models left (quantization's scratch, calibration sessions) goes back first.
            _progress?.Report(new BenchProgress("warming up the process", 0, 1));
            ProcessMemory.Trim();
            bool chunked = frame.MaxMemoryBytes > 0 || frame.ScoreChunk > 0;
            using (var warm = FirstFrameModels.Open(fRefine, fScore, _s.Runtime, chunked))
                warm.Runner.Run(frame with { Hypotheses = 2, Iterations = Math.Min(1, frame.Iterations) }, crops,
                    cancel);

            // 3. Cold: create the sessions, then the first frame, one variant at a time; each variant's sessions are
            // disposed before the next variant's are created, so only one variant is ever alive.
            step = 0;
            report.MemoryPhases.Clear();
            foreach (var l in live.Where(x => !x.Result.Failed))
            {
                _progress?.Report(new BenchProgress($"cold start {l.Result.Name}", step++, live.Count));
                cancel.ThrowIfCancellationRequested();
                var r = l.Result;
                Guarded(r, () => Turn(l, sampler, report, "cold", () =>
                {
                    r.RefineCreateSeconds = l.Models!.RefineCreateSeconds;
                    r.ScoreCreateSeconds = l.Models.ScoreCreateSeconds;
                    var sw = Stopwatch.StartNew();
                    l.Last = l.Models.Runner.Run(frame, crops, cancel);
                    r.ColdFrameSeconds = sw.Elapsed.TotalSeconds;
                    r.RefineBatchUsed = l.Last.Plan?.RefineBatch ?? frame.RefineBatch;
                    r.ScoreChunk = l.Last.Plan?.ScoreChunk ?? frame.Hypotheses;
                }));
            }

            // 4. Warm-up rounds, then repeats in alternating order; each turn recreates the variant's sessions (not
            // timed as the frame; their cost is reported) and frees them afterwards.
            int rounds = _s.Warmup + _s.Repeats;
            for (int round = 0; round < rounds; round++)
            {
                var alive = live.Where(x => !x.Result.Failed).ToList();
                foreach (int i in Statistics.AlternatingOrder(alive.Count, round))
                {
                    cancel.ThrowIfCancellationRequested();
                    var l = alive[i];
                    _progress?.Report(new BenchProgress($"{(round < _s.Warmup ? "warm-up" : "repeat")} " +
                        $"{Math.Max(1, round - _s.Warmup + 1)}: {l.Result.Name}", round, rounds));
                    Guarded(l.Result, () => Turn(l, sampler, report, round < _s.Warmup ? "warm-up" : "repeat", () =>
                    {
                        l.Result.RecreateSeconds.Add(l.Models!.RefineCreateSeconds + l.Models.ScoreCreateSeconds);
                        // The sessions are new: one untimed pass at the refine batch's shape first, so that the timed
                        // frame runs on warm sessions (arena grown, kernels' first-run work done) as the cold turn's
                        // counterpart; without it the repeats would time a second cold frame.
                        int warmHypotheses = Math.Min(frame.Hypotheses, Math.Max(1, l.Result.RefineBatchUsed));
                        l.Models.Runner.Run(frame with { Hypotheses = warmHypotheses, Iterations = 1 }, crops, cancel);
                        var res = l.Models.Runner.Run(frame, crops, cancel);
                        if (round >= _s.Warmup) { l.Result.WarmRuns.Add(res.Times); l.Last = res; }
                    }));
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
                        l.Result.RefineCreateCachedSeconds =
                            CachedCreation(l.Result.RefineModel!, workDir, $"{l.Result.Name}-refine");
                        l.Result.ScoreCreateCachedSeconds =
                            CachedCreation(l.Result.ScoreModel!, workDir, $"{l.Result.Name}-score");
                    }, failVariant: false);
                }

            // 6. Summaries and fidelity against the reference of this same run.
            Summarize(report, live, frame, scene);

            // 7. Profiles, after all timing, so the profiler perturbs nothing measured.
            if (_s.Profile)
                foreach (var l in live.Where(x => !x.Result.Failed))
                {
                    cancel.ThrowIfCancellationRequested();
                    _progress?.Report(new BenchProgress($"profiling {l.Result.Name}", 0, 1));
                    Guarded(l.Result, () => l.Result.Profile = ProfileVariant(l.Result, crops, frame, workDir, cancel),
                        failVariant: false);
                }
        }
        finally
        {
            foreach (var l in live) l.Dispose();
        }
        report.PeakWorkingSetBytes = sampler.OverallPeak();
        report.MemoryTimeline.AddRange(sampler.Timeline.Select(x => new MemorySample(x.Seconds, x.Bytes)));
        report.Variants.AddRange(live.Select(l => l.Result));
        report.TotalSeconds = total.Elapsed.TotalSeconds;
        return report;
    }

    /// <summary>Working set kept for the memory-over-time chart every this many milliseconds.</summary>
    public const int MemoryTimelineMs = 250;

    /// <summary>One turn of a variant: its sessions created, <paramref name="body"/> run, the sessions disposed; the
    /// process's peak working set during the turn and what it added over the working set just before are kept
    /// (the largest of the variant's turns), and the turn is marked on the memory timeline.</summary>
    private void Turn(Live l, WorkingSetSampler sampler, BenchReport report, string what, Action body)
    {
        var r = l.Result;
        ProcessMemory.Trim();
        long baseline = sampler.Current();
        sampler.ResetPeak();
        double start = sampler.Seconds;
        try
        {
            bool chunked = _s.Frame.MaxMemoryBytes > 0 || _s.Frame.ScoreChunk > 0;
            l.Models = FirstFrameModels.Open(r.RefineModel!, r.ScoreModel!, _s.Runtime, chunked);
            body();
        }
        finally
        {
            l.Dispose();
            long peak = sampler.Peak();
            r.PeakWorkingSetBytes = Math.Max(r.PeakWorkingSetBytes, peak);
            r.AddedWorkingSetBytes = Math.Max(r.AddedWorkingSetBytes, Math.Max(0, peak - baseline));
            report.MemoryPhases.Add(new MemoryPhase(r.Name, what, start, sampler.Seconds, peak));
        }
    }

    /// <summary>Runs one variant's step under <see cref="VariantFailure"/>'s rule; a failure fails the variant, or
    /// only warns when <paramref name="failVariant"/> is false.</summary>
    public static void Guarded(VariantResult r, Action a, bool failVariant = true)
    {
        if (VariantFailure.Run(a) is not string error) return;
        if (failVariant) r.Error = error;
        else r.Warnings.Add(error);
    }

    private double CachedCreation(string model, string workDir, string name)
    {
        string dir = Path.Combine(workDir, "optimized-models");
        Directory.CreateDirectory(dir);
        string opt = Path.Combine(dir, name + ".ort.onnx");
        using (new ModelRunner(model, _s.Runtime with { OptimizedModelPath = opt })) { }
        using var cached =
            new ModelRunner(opt, _s.Runtime with { OptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
        return cached.CreationTime.TotalSeconds;
    }

    private ProfileBreakdown ProfileVariant(VariantResult r, ICropSource crops, FirstFrameSettings frame,
        string workDir, CancellationToken cancel)
    {
        string dir = Path.Combine(workDir, "profiles");
        Directory.CreateDirectory(dir);
        string? rf, sf, cf = null;
        int refineRuns, scoreRuns;
        bool chunked = frame.MaxMemoryBytes > 0 || frame.ScoreChunk > 0;
        using (var models = FirstFrameModels.Open(r.RefineModel!, r.ScoreModel!,
            _s.Runtime with { ProfilePrefix = Path.Combine(dir, $"{r.Name}-refine") }, chunked,
            _s.Runtime with { ProfilePrefix = Path.Combine(dir, $"{r.Name}-score") },
            _s.Runtime with { ProfilePrefix = Path.Combine(dir, $"{r.Name}-score-cross") }))
        {
            // Two frames: the first pays the sessions' one-time costs and is left out of the breakdown.
            var plan = models.Runner.Run(frame, crops, cancel).Plan!;
            models.Runner.Run(frame, crops, cancel);
            refineRuns = frame.Iterations * ((frame.Hypotheses + plan.RefineBatch - 1) / plan.RefineBatch);
            scoreRuns = models.ChunkedScore != null ? (frame.Hypotheses + plan.ScoreChunk - 1) / plan.ScoreChunk : 1;
            rf = models.Refine.Runner.EndProfiling();
            sf = models.ChunkedScore?.PerPair.Runner.EndProfiling() ?? models.Score!.Runner.EndProfiling();
            cf = models.ChunkedScore?.Cross.EndProfiling();
        }
        var byOp = new Dictionary<string, double>();
        var byModule = new Dictionary<string, double>();
        foreach (var (f, skip) in new[] { (rf, refineRuns), (sf, scoreRuns), (cf, 1) })
        {
            if (f == null || !File.Exists(f)) continue;
            var (o, m) = ProfileAnalysis.Aggregate(f, skip);
            foreach (var kv in o) byOp[kv.Key] = byOp.GetValueOrDefault(kv.Key) + kv.Value;
            foreach (var kv in m) byModule[kv.Key] = byModule.GetValueOrDefault(kv.Key) + kv.Value;
        }
        return new ProfileBreakdown(byOp, byModule, rf == null ? null : Path.GetFileName(rf),
            sf == null ? null : Path.GetFileName(sf));
    }

    private static void Summarize(BenchReport report, List<Live> live, FirstFrameSettings frame, Scene? scene)
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
            if (scene != null) r.Truth = TruthAccuracy.Of(scene, l.Last!);
        }
    }

    public static readonly (string Name, Func<StageTimes, double> Get)[] StageColumns =
    {
        ("setup", t => t.Setup), ("render", t => t.Render), ("crop", t => t.Crop), ("refine", t => t.Refine),
        ("pose update", t => t.PoseUpdate), ("score", t => t.Score), ("select", t => t.Select), ("total", t => t.Total),
    };

    public static VariantFidelity FidelityOf(FirstFrameResult reference, FirstFrameResult test, double diameter)
    {
        var rot = reference.Poses.Zip(test.Poses, (a, b) => Mat3.AngleDegrees(a.R, b.R)).ToList();
        var trans = reference.Poses.Zip(test.Poses, (a, b) => 100 * (a.T - b.T).Norm / diameter).ToList();
        return new VariantFidelity(
            Statistics.Spearman(reference.Scores.Select(x => (double)x).ToList(),
                test.Scores.Select(x => (double)x).ToList()),
            reference.Best == test.Best,
            QuantMath.Sqnr(reference.Scores, test.Scores),
            reference.RefineOutputs.Length > 0 ? QuantMath.Sqnr(reference.RefineOutputs, test.RefineOutputs)
                : double.PositiveInfinity,
            rot.Count > 0 ? rot.Average() : 0, rot.Count > 0 ? rot.Max() : 0,
            trans.Count > 0 ? trans.Average() : 0, trans.Count > 0 ? trans.Max() : 0);
    }
}
