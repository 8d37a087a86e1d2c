using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FpQuant.Core;
using FpQuant.Datasets;
using FpQuant.Geometry;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;
using ScottPlot;
using FpQuant.Variants;

namespace FpQuant.Evaluation;

/// <summary>
/// `fpquant eval --mode track`: on a dataset of video scenes, every selected object of every selected scene is one
/// sequence; per variant its first frame is registered (or started at its true pose) and the rest tracked, every
/// frame scored against the ground truth. A variant that fails stops only itself.
/// </summary>
internal static class TrackEval
{
    public const string FramesFile = "track-frames.jsonl", JsonFile = "track-report.json",
        MarkdownFile = "track-report.md", DriftChart = "drift.png";

    public static TrackEvalReport Run(TrackEvalSettings s, string command, IProgress<string>? progress = null,
        CancellationToken cancel = default)
    {
        s.Validate();
        var e = s.Eval;
        var total = Stopwatch.StartNew();
        var dataset = BopDataset.Open(e.Dataset, e.Split);
        var sequences = new List<(BopSequence Bop, TrackSequence Seq)>();
        foreach (int scene in dataset.SceneIds.Where(id => e.Selection.Scenes.Count == 0
            || e.Selection.Scenes.Contains(id)))
        {
            var first = dataset.LoadScene(scene).FirstOrDefault();
            if (first == null) continue;
            foreach (int obj in first.Objects.Select(o => o.ObjId).Distinct()
                .Where(o => e.Selection.Objects.Count == 0 || e.Selection.Objects.Contains(o)))
            {
                var b = BopSequence.Open(dataset, scene, obj);
                sequences.Add((b, b.ToTrackSequence(s.MaxFrames)));
            }
        }
        foreach (int sc in e.Selection.Scenes)
            if (!dataset.SceneIds.Contains(sc))
                throw new FpQuantException($"Scenes: scene {sc} is not in " +
                    $"'{Path.Combine(dataset.Root, dataset.Split)}' (it has {string.Join(", ", dataset.SceneIds)})");
        if (sequences.Count == 0)
            throw new FpQuantException(
                $"no sequence of '{e.Dataset}' ({e.Split}) matches Scenes/Objects; loosen the selection");
        var report = new TrackEvalReport
        {
            Dataset = dataset.Name, Split = dataset.Split, Command = command,
            Weights = WeightSource.Describe(e.Weights), TrackIterations = s.Track.Iterations,
            Start = s.StartFromTruth ? "the first frame's true pose"
                : $"registration ({e.Registration.Hypotheses} hypotheses, {e.Registration.Iterations} iteration(s))",
            Sequences = sequences.Select(q => q.Seq.Description).ToList(),
        };
        Directory.CreateDirectory(e.OutDir);
        var models = sequences.Select(q => q.Bop.ObjId).Distinct()
            .ToDictionary(o => o, o => new EvalObjectModel(dataset.Models[o], dataset.EvalPointsMm(o)));
        var firstFrame = sequences[0].Seq.First;
        var store = new BenchModelStore(e.CacheDir, e.Runtime, e.CalibrationPairs)
        {
            CalibrationFor = fr => new SceneInputSource(firstFrame, e.CalibrationPairs, CalibrationDefaults.BatchSize,
                e.Registration.Crops, fr, Math.Max(1, e.Registration.Iterations), e.Runtime),
        };
        var records = new List<TrackEvalFrame>();
        using var jsonl = new StreamWriter(new FileStream(Path.Combine(e.OutDir, FramesFile), FileMode.Create,
            FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        foreach (var v in e.Variants)
        {
            var summary = new TrackEvalVariant { Name = v.Name };
            report.Variants.Add(summary);
            summary.Error = VariantFailure.Run(() =>
            {
                progress?.Report($"preparing {v.Name}");
                var (rp, sp, _) = store.ModelsFor(v, e.Weights);
                using var refine = new CropPairSession(rp, e.Runtime);
                using var score = new CropPairSession(sp, e.Runtime);
                using var refiner = new NetworkTrackRefiner(refine);
                using var scorer = s.Track.LostScoreThreshold != null ? new NetworkTrackScorer(score) : null;
                var registrar = new FirstFrameRunner(refine, score);
                foreach (var (bop, seq) in sequences)
                {
                    cancel.ThrowIfCancellationRequested();
                    progress?.Report($"{v.Name}: {seq.Description}");
                    var model = models[bop.ObjId];
                    var tracker = new PoseTracker(seq.First, refiner, s.Track, scorer);
                    var frames = SequenceTracking.Run(seq, tracker, registrar, s.Sequence, cancel: cancel);
                    foreach (var f in frames)
                    {
                        var inst = bop.Frames[f.Index];
                        var err =
                            PoseErrors.All(model, inst.Camera.K, new Pose(f.Pose.R, f.Pose.T * 1000), inst.Gt.PoseMm);
                        var rec = new TrackEvalFrame(v.Name, bop.SceneId, bop.ObjId, f.Index, f.FrameId, err.AddMm,
                            err.AddsMm, 1000 * f.Seconds, f.Registered, f.Lost, f.Score);
                        records.Add(rec);
                        jsonl.WriteLine(JsonSerializer.Serialize(rec, EvalRunner.Json));
                    }
                    jsonl.Flush();
                    summary.Sequences++;
                }
            });
            Summarize(summary, records.Where(r => r.Variant == v.Name).ToList(), models);
        }
        report.TotalSeconds = total.Elapsed.TotalSeconds;
        Write(report, e.OutDir);
        return report;
    }


    public static void Summarize(TrackEvalVariant v, List<TrackEvalFrame> frames,
        IReadOnlyDictionary<int, EvalObjectModel> models)
    {
        v.Frames = frames.Count;
        if (frames.Count == 0) return;
        v.AucAdds = 100 * Recall.Auc(frames.Select(f => f.AddsMm).ToList());
        v.AucAdd = 100 * Recall.Auc(frames.Select(f => f.AddMm).ToList());
        v.AddOrAdds01d = 100 * Recall.AddOrAddsBelow(frames.Select(f =>
            (f.AddMm, f.AddsMm, models[f.ObjId].Info.IsSymmetric, models[f.ObjId].Info.DiameterMm)).ToList());
        int len = frames.Max(f => f.Index) + 1;
        v.DriftAddsMm = Enumerable.Range(0, len)
            .Select(i => frames.Where(f => f.Index == i).Select(f => f.AddsMm).DefaultIfEmpty(double.NaN).Average())
            .ToList();
        var pts = frames.Where(f => double.IsFinite(f.AddsMm)).Select(f => ((double)f.Index, f.AddsMm)).ToList();
        double mx = pts.Count > 0 ? pts.Average(p => p.Item1) : 0, my = pts.Count > 0 ? pts.Average(p => p.Item2) : 0;
        double sxx = pts.Sum(p => (p.Item1 - mx) * (p.Item1 - mx));
        v.DriftSlopeMmPerFrame = sxx > 0 ? pts.Sum(p => (p.Item1 - mx) * (p.Item2 - my)) / sxx : 0;
        v.LostFrames = frames.Count(f => f.Lost);
        v.Reregistrations = frames.Count(f => f.Registered && f.Index > 0);
        var tracked = frames.Where(f => !f.Registered && f.Index > 0).Select(f => f.Ms).ToList();
        v.MedianMsPerFrame = tracked.Count > 0 ? Summary.Of(tracked).Median : double.NaN;
        var reg = frames.Where(f => f.Registered).Select(f => f.Ms / 1000).ToList();
        v.MedianFirstFrameSeconds = reg.Count > 0 ? Summary.Of(reg).Median : double.NaN;
    }

    private static string F(double x, string fmt = "F1") => double.IsFinite(x)
        ? x.ToString(fmt, CultureInfo.InvariantCulture) : "n/a";

    public static readonly string[] Header =
    {
        "variant", "sequences", "frames", "ADD-S AUC", "ADD AUC", "ADD(-S) < 0.1 d", "drift mm/frame", "lost frames",
        "re-registered", "ms/frame (median)", "first frame s",
    };

    public static IEnumerable<string[]> Rows(TrackEvalReport r) =>
        r.Variants.Select(v => v.Error != null && v.Frames == 0
        ? new[] { v.Name, "FAILED", v.Error, "", "", "", "", "", "", "", "" }
        : new[]
        {
            v.Name, v.Sequences.ToString(CultureInfo.InvariantCulture), v.Frames.ToString(CultureInfo.InvariantCulture),
            F(v.AucAdds), F(v.AucAdd), F(v.AddOrAdds01d),
            F(v.DriftSlopeMmPerFrame, "F2"), v.LostFrames.ToString(CultureInfo.InvariantCulture),
            v.Reregistrations.ToString(CultureInfo.InvariantCulture),
            F(v.MedianMsPerFrame), F(v.MedianFirstFrameSeconds, "F2"),
        });

    private static void Write(TrackEvalReport r, string dir)
    {
        var md = new StringBuilder("# Tracking eval\n\n");
        md.AppendLine(CultureInfo.InvariantCulture, $"`{r.Command}`").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"{r.Dataset} ({r.Split}); weights {r.Weights}; start: {r.Start}; {r.TrackIterations} refine " +
            $"iteration(s) a tracked frame; {r.TotalSeconds:F0} s.").AppendLine();
        md.AppendLine("| " + string.Join(" | ", Header) + " |")
            .AppendLine("|" + string.Concat(Enumerable.Repeat("---|", Header.Length)));
        foreach (var row in Rows(r)) md.AppendLine("| " + string.Join(" | ", row) + " |");
        md.AppendLine()
            .AppendLine("AUCs (0-100 mm) and the recall are over every frame of every sequence, the first included; " +
                "drift is the least-squares slope of ADD-S over the frame index; ms/frame is the tracking step alone.");
        md.AppendLine().AppendLine("Sequences: " + string.Join("; ", r.Sequences)).AppendLine()
            .AppendLine($"![drift]({DriftChart})");
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < r.Variants.Count; i++)
        {
            var v = r.Variants[i];
            if (v.DriftAddsMm.Count == 0) continue;
            var sc = plot.Add.Scatter(Enumerable.Range(0, v.DriftAddsMm.Count).Select(x => (double)x).ToArray(),
                v.DriftAddsMm.ToArray());
            sc.LegendText = v.Name;
            sc.Color = palette.GetColor(i);
            sc.MarkerSize = 3;
        }
        plot.Title("Drift: mean ADD-S against the frame index");
        plot.XLabel("frame index (0 = first frame)");
        plot.YLabel("ADD-S (mm)");
        plot.ShowLegend(Alignment.UpperLeft);
        byte[] png = plot.GetImageBytes(900, 500, ImageFormat.Png);
        AtomicFile.WriteGroup(
            (Path.Combine(dir, JsonFile),
                st => st.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(r, ReportJson.Options)))),
            (Path.Combine(dir, MarkdownFile), st => st.Write(Encoding.UTF8.GetBytes(md.ToString()))),
            (Path.Combine(dir, DriftChart), st => st.Write(png)));
    }
}
