using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FpQuant.Geometry;
using FpQuant.Core;
using FpQuant.Datasets;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Microsoft.ML.OnnxRuntime;
using FpQuant.Variants;

namespace FpQuant.Evaluation;

/// <summary>
/// `fpquant eval`: the register pipeline's first frame for every selected instance and variant (the instance's
/// visible mask as the mask), every estimate scored against the ground truth, appended to OUT/results.jsonl as soon
/// as the instance is done. Instances run in order, every variant on each, so an interrupted run has all variants
/// for the finished instances; --resume skips finished (variant, instance) pairs. Only one variant's sessions are
/// alive at a time: with several variants each one's sessions are created for its frame and freed after it. A
/// variant that fails stops only itself. No model runs beyond the first frames. Each record carries the process's
/// peak working set during its frame.
/// </summary>
internal sealed class EvalRunner
{
    public const string ResultsFile = "results.jsonl", RunFile = "run.json";
    /// <summary>snake_case names; infinities (a broken variant's errors) and NaN written as named literals.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly EvalSettings _s;
    private readonly IProgress<EvalProgress>? _progress;

    public EvalRunner(EvalSettings settings, IProgress<EvalProgress>? progress = null)
    {
        _s = settings;
        _progress = progress;
    }

    private sealed class Live : IDisposable
    {
        public required VariantSpec Spec;
        public required EvalVariantSummary Summary;
        public string? RefineModel, ScoreModel;
        public FirstFrameModels? Models;
        public void Dispose() { Models?.Dispose(); Models = null; }
    }

    public EvalReport Run(string command, CancellationToken cancel = default)
    {
        _s.Validate();
        var total = Stopwatch.StartNew();
        _progress?.Report(new EvalProgress($"reading {_s.Dataset}", 0, 0));
        var dataset = BopDataset.Open(_s.Dataset, _s.Split);
        var selected = dataset.SelectInstances(_s.Selection);
        if (selected.Count == 0)
            throw new FpQuantException($"no instance of '{_s.Dataset}' ({_s.Split}) matches " +
                $"Scenes/Objects/MinVisible {_s.Selection.MinVisible}; loosen the selection");
        // A shard runs its part of the selection; calibration still uses the selection's first instance, so every
        // shard quantizes exactly as the whole run would.
        var instances = _s.Shard?.Select(selected) ?? selected;
        var report = new EvalReport
        {
            Dataset = dataset.Name, Split = dataset.Split, Command = command, StartedUtc = DateTime.UtcNow,
            Weights = WeightSource.Describe(_s.Weights), Hypotheses = _s.Registration.Hypotheses,
            Iterations = _s.Registration.Iterations,
            Provider = _s.Runtime.Provider.ToString(), Threads = _s.Runtime.IntraOpThreads, Instances = instances.Count,
            Shard = _s.Shard?.ToString(),
        };
        var records = OpenResults(selected);
        var done = records.Select(r => (r.Variant, r.InstanceKey)).ToHashSet();
        var models = new Dictionary<int, EvalObjectModel>();
        foreach (int obj in instances.Select(i => i.ObjId).Distinct())
            models[obj] = new EvalObjectModel(dataset.Models[obj], dataset.EvalMeshMm(obj));

        var live = _s.Variants.Select(v => new Live { Spec = v,
            Summary = new EvalVariantSummary { Name = v.Name, Description = v.Description } }).ToList();
        var pending = live.Where(l => instances.Any(i => !done.Contains((l.Spec.Name, i.Key)))).ToList();
        int totalFrames = pending.Sum(l => instances.Count(i => !done.Contains((l.Spec.Name, i.Key))));
        report.FirstFramesResumed = live.Sum(l => instances.Count(i => done.Contains((l.Spec.Name, i.Key))));
        var frameSeconds = new List<double>();
        var scoringSeconds = new List<double>();
        using var memory = new WorkingSetSampler();
        try
        {
            // The first instance is read before any model is prepared, so a broken dataset fails in seconds.
            Scene? firstScene = pending.Count > 0 ? dataset.SceneOf(selected[0]) : null;
            if (pending.Count > 0) Prepare(pending, firstScene!, cancel);
            int step = 0;
            using var results = new StreamWriter(new FileStream(Path.Combine(_s.OutDir, ResultsFile), FileMode.Append,
                FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
            for (int k = 0; k < instances.Count; k++)
            {
                var inst = instances[k];
                var todo = pending.Where(l => !l.Summary.Failed && !done.Contains((l.Spec.Name, inst.Key))).ToList();
                if (todo.Count == 0) continue;
                cancel.ThrowIfCancellationRequested();
                var scene = firstScene != null && inst == selected[0] ? firstScene : dataset.SceneOf(inst);
                var estimates = new List<(Live Variant, RegistrationResult Result, long PeakBytes)>();
                bool freeAfterEach = pending.Count(x => !x.Summary.Failed) > 1;
                foreach (var l in todo)
                {
                    _progress?.Report(new EvalProgress($"instance {k + 1}/{instances.Count} ({inst}): {l.Spec.Name}",
                        step, totalFrames));
                    memory.ResetPeak();
                    Guarded(l.Summary, () =>
                    {
                        l.Models ??= Open(l);
                        var r = Registration.Run(scene, l.Models.Runner, _s.Registration, cancel);
                        estimates.Add((l, r, memory.Peak()));
                        frameSeconds.Add(r.Times.Total);
                    });
                    if (l.Summary.Failed || freeAfterEach)
                    {
                        l.Dispose();
                        // Sessions made and freed frame after frame would otherwise leave the C heap a little larger
                        // each time.
                        ProcessMemory.Trim();
                    }
                    step++;
                }
                // Scoring: every metric for every variant's estimate of this instance, timed together.
                var sw = Stopwatch.StartNew();
                var model = models[inst.ObjId];
                var gt = inst.Gt.PoseMm;
                var frame = scene.Frame;
                var vsd = new VsdInstance(model.MeshMm!, inst.Camera.K, frame.Width, frame.Height,
                    frame.Depth.Select(d => d * 1000f).ToArray(), gt, model.Info.DiameterMm);
                var scored = estimates.Select(e =>
                {
                    var p = e.Result.Best;
                    var est = new Pose(p.R, p.T * 1000);
                    var err = PoseErrors.All(model, inst.Camera.K, est, gt);
                    return new EvalRecord
                    {
                        Variant = e.Variant.Spec.Name, SceneId = inst.SceneId, ImId = inst.ImId, GtIndex = inst.GtIndex,
                        ObjId = inst.ObjId, R = BopWriter.RowMajor(est.R), TMm = new[] { est.T.X, est.T.Y, est.T.Z },
                        Score = e.Result.Frame.Scores[e.Result.Frame.Best], FirstFrameSeconds = e.Result.Times.Total,
                        AddMm = err.AddMm, AddsMm = err.AddsMm, MssdMm = err.MssdMm, MspdPx = err.MspdPx,
                        VsdErrors = vsd.Errors(est),
                        DiameterMm = model.Info.DiameterMm, Symmetric = model.Info.IsSymmetric,
                        ImageWidth = scene.Frame.Width, PeakWorkingSetBytes = e.PeakBytes,
                    };
                }).ToList();
                scoringSeconds.Add(sw.Elapsed.TotalSeconds);
                foreach (var r in scored)
                {
                    results.WriteLine(JsonSerializer.Serialize(r, Json));
                    records.Add(r);
                }
                results.Flush();
            }
            _progress?.Report(new EvalProgress("writing the report", totalFrames, totalFrames));
        }
        finally
        {
            foreach (var l in live) l.Dispose();
        }
        report.FirstFramesRun = frameSeconds.Count;
        report.MeanFirstFrameSeconds = frameSeconds.Count > 0 ? frameSeconds.Average() : 0;
        report.MeanScoringSecondsPerInstance = scoringSeconds.Count > 0 ? scoringSeconds.Average() : 0;
        Summarize(report, live.Select(l => l.Summary).ToList(), records, instances);
        report.TotalSeconds = total.Elapsed.TotalSeconds;
        EvalReportWriter.WriteAll(report, _s.OutDir);
        return report;
    }

    /// <summary>The results so far: with --resume those of an earlier run with the same settings; else a fresh file.
    /// run.json records what `eval merge` checks: the settings, the variants, the whole selection and the
    /// shard.</summary>
    private List<EvalRecord> OpenResults(IReadOnlyList<BopInstance> selected)
    {
        try { Directory.CreateDirectory(_s.OutDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"OutDir '{_s.OutDir}' cannot be created ({e.Message}); pass a writable folder",
                e);
        }
        string runPath = Path.Combine(_s.OutDir, RunFile), resultsPath = Path.Combine(_s.OutDir, ResultsFile);
        var records = new List<EvalRecord>();
        if (_s.Resume && File.Exists(runPath))
        {
            string? previous, previousShard = null;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(runPath));
                previous = doc.RootElement.GetProperty("settings").GetString();
                if (doc.RootElement.TryGetProperty("shard", out var sh) && sh.ValueKind == JsonValueKind.String)
                    previousShard = sh.GetString();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new FpQuantException(
                    $"'{runPath}' is not an eval run file ({e.Message}); use another OutDir or drop Resume", e);
            }
            if (previous != _s.Fingerprint)
                throw new FpQuantException($"Resume: '{runPath}' was written with other settings ({previous}); this " +
                    $"run has {_s.Fingerprint}. Use another OutDir, or the same settings");
            if (previousShard != _s.Shard?.ToString())
                throw new FpQuantException($"Resume: '{runPath}' holds shard " +
                    $"{previousShard ?? "none (the whole run)"}, this run is shard " +
                    $"{_s.Shard?.ToString() ?? "none (the whole run)"}; give each shard its own OutDir");
            if (File.Exists(resultsPath)) records = ReadResults(resultsPath);
        }
        else if (File.Exists(resultsPath)) File.Delete(resultsPath);
        var run = new EvalRunInfo
        {
            Settings = _s.Fingerprint, Shard = _s.Shard?.ToString(),
            Variants = _s.Variants.Select(v => new EvalRunVariant(v.Name, v.Description)).ToList(),
            Selected = selected.Select(i => i.Key).ToList(),
        };
        AtomicFile.WriteAllText(runPath, JsonSerializer.Serialize(run, Json) + "\n");
        return records;
    }

    /// <summary>Reads appended records; a torn last line (the process killed mid-write) is dropped and, with
    /// <paramref name="repair"/>, trimmed from the file; without, it is refused.</summary>
    public static List<EvalRecord> ReadResults(string path, bool repair = true)
    {
        var lines = File.ReadAllLines(path);
        var list = new List<EvalRecord>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            try { list.Add(JsonSerializer.Deserialize<EvalRecord>(lines[i], Json) ?? throw new JsonException("null")); }
            catch (JsonException e)
            {
                if (i == lines.Length - 1 && repair)
                {
                    AtomicFile.WriteAllText(path, string.Concat(lines.Take(i).Select(l => l + "\n")));
                    break;
                }
                throw new FpQuantException($"'{path}' line {i + 1} is not an eval record " +
                    $"({ErrorText.Quote(e.Message, 200)}); remove the line or drop Resume", e);
            }
        }
        return list;
    }

    private void Prepare(List<Live> pending, Scene first, CancellationToken cancel)
    {
        var store = new BenchModelStore(_s.CacheDir, _s.Runtime, _s.CalibrationPairs)
        {
            // Static presets calibrate on the crops a float first frame of the first instance visits.
            CalibrationFor = fRefine => new SceneInputSource(first, _s.CalibrationPairs, CalibrationDefaults.BatchSize,
                _s.Registration.Crops, fRefine, Math.Max(1, _s.Registration.Iterations), _s.Runtime),
        };
        int step = 0;
        foreach (var l in pending)
        {
            cancel.ThrowIfCancellationRequested();
            _progress?.Report(new EvalProgress($"preparing {l.Spec.Name} ({++step}/{pending.Count})", 0, 0));
            Guarded(l.Summary, () =>
            {
                (l.RefineModel, l.ScoreModel, _) = store.ModelsFor(l.Spec, _s.Weights);
                // Opened once here so a broken model fails before any frame; kept only when it is the one variant.
                l.Models = Open(l);
            });
            if (l.Summary.Failed || pending.Count > 1) l.Dispose();
        }
    }

    private FirstFrameModels Open(Live l) => FirstFrameModels.Open(l.RefineModel!, l.ScoreModel!, _s.Runtime,
        chunkedScore: _s.Registration.MaxMemoryBytes > 0 || _s.Registration.ScoreChunk > 0);

    private static void Guarded(EvalVariantSummary v, Action a)
    {
        if (VariantFailure.Run(a) is string error) v.Error = error;
    }

    /// <summary>
    /// Per variant: the records of the selected instances, deviations from fp32's pose, recalls and times.
    /// </summary>
    public static void Summarize(EvalReport report, List<EvalVariantSummary> variants, List<EvalRecord> records,
        IReadOnlyList<BopInstance> instances) =>
        Summarize(report, variants, records, instances.Select(i => i.Key).ToList());

    /// <param name="instances">The instances' keys (<see cref="BopInstance.Key"/>), in report order.</param>
    public static void Summarize(EvalReport report, List<EvalVariantSummary> variants, List<EvalRecord> records,
        IReadOnlyList<string> instances)
    {
        var keys = instances.ToHashSet();
        var byVariant = records.Where(r => keys.Contains(r.InstanceKey)).GroupBy(r => r.Variant)
            .ToDictionary(g => g.Key,
                g => g.GroupBy(r => r.InstanceKey).Select(x => x.Last()).ToDictionary(r => r.InstanceKey));
        byVariant.TryGetValue("fp32", out var reference);
        foreach (var v in variants)
        {
            var mine = byVariant.GetValueOrDefault(v.Name) ?? new Dictionary<string, EvalRecord>();
            v.Records = instances.Where(mine.ContainsKey).Select(i => mine[i]).ToList();
            v.Instances = instances.Count;
            v.Estimated = v.Records.Count;
            foreach (var r in v.Records)
                if (reference != null && reference.TryGetValue(r.InstanceKey, out var f))
                {
                    var rf = BopJson.Rotation(f.R);
                    r.RotationDeviationDeg = Mat3.AngleDegrees(rf, BopJson.Rotation(r.R));
                    r.TranslationDeviationMm =
                        new Vec3(r.TMm[0] - f.TMm[0], r.TMm[1] - f.TMm[1], r.TMm[2] - f.TMm[2]).Norm;
                }
            // Instances without an estimate count as failures: infinite errors.
            int missing = instances.Count - v.Records.Count;
            var inf = Enumerable.Repeat(double.PositiveInfinity, missing);
            v.AucAdds = 100 * Recall.Auc(v.Records.Select(r => r.AddsMm).Concat(inf).ToList());
            v.AucAdd = 100 * Recall.Auc(v.Records.Select(r => r.AddMm).Concat(inf).ToList());
            var add = v.Records.Select(r => (r.AddMm, r.AddsMm, r.Symmetric, r.DiameterMm)).ToList();
            var mssd = v.Records.Select(r => (r.MssdMm, r.DiameterMm)).ToList();
            var mspd = v.Records.Select(r => (r.MspdPx, r.ImageWidth)).ToList();
            double share = instances.Count > 0 ? (double)v.Records.Count / instances.Count : 0;
            // Recalls over the estimated instances, scaled by their share of all: the missing ones are wrong.
            v.AddOrAdds01d = 100 * share * Recall.AddOrAddsBelow(add);
            v.ArMssd = 100 * share * Recall.ArMssd(mssd);
            v.ArMspd = 100 * share * Recall.ArMspd(mspd);
            v.ArVsd = 100 * share * Vsd.AverageRecall(v.Records.Select(r => r.VsdErrors).ToList());
            v.MedianSecondsPerInstance = v.Records.Count > 0
                ? Summary.Of(v.Records.Select(r => r.FirstFrameSeconds).ToList()).Median : 0;
            var rot = v.Records.Where(r => r.RotationDeviationDeg != null).Select(r => r.RotationDeviationDeg!.Value)
                .ToList();
            var tr = v.Records.Where(r => r.TranslationDeviationMm != null).Select(r => r.TranslationDeviationMm!.Value)
                .ToList();
            if (rot.Count > 0)
            {
                v.MeanRotationDeviationDeg = rot.Average(); v.MaxRotationDeviationDeg = rot.Max();
                v.MeanTranslationDeviationMm = tr.Average(); v.MaxTranslationDeviationMm = tr.Max();
            }
            report.Variants.Add(v);
        }
    }
}
