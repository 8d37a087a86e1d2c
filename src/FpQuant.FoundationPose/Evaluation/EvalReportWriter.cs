using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FpQuant.Core;

namespace FpQuant.Evaluation;

/// <summary>
/// Writes an eval report: report.md, report.json, one BOP results CSV per variant, and the recall chart.
/// </summary>
internal static class EvalReportWriter
{
    private static readonly CultureInfo Ci = CultureInfo.InvariantCulture;

    public static List<string> WriteAll(EvalReport r, string dir)
    {
        var files = new List<string>
        {
            Write(Path.Combine(dir, "report.md"), Markdown(r)),
            Write(Path.Combine(dir, "report.json"), JsonText(r)),
            Write(Path.Combine(dir, SummaryCsvFile), SummaryCsv(r)),
        };
        foreach (var v in r.Variants.Where(v => v.Records.Count > 0))
            files.Add(Write(Path.Combine(dir, BopResultsFileName(v.Name, r.Dataset, r.Split)), BopCsv(v)));
        files.AddRange(EvalCharts.WriteAll(r, dir));
        return files;
    }

    private static string Write(string path, string text) { AtomicFile.WriteAllText(path, text); return path; }

    public const string SummaryCsvFile = "summary.csv";

    /// <summary>One row of accuracy per variant (recalls and AUCs in percent, round-trip precision), for spreadsheets
    /// and for comparing runs: it holds no times, so the same estimates give the same bytes.</summary>
    public static string SummaryCsv(EvalReport r)
    {
        var sb =
            new StringBuilder(
                "variant,instances,estimated,auc_adds,auc_add,add_or_adds_recall_01d,ar_vsd,ar_mssd,ar_mspd,ar_bop,failed\n");
        foreach (var v in r.Variants)
            sb.Append(Ci,
                $"{Csv(v.Name)},{v.Instances},{v.Estimated},{R(v.AucAdds)},{R(v.AucAdd)},{R(v.AddOrAdds01d)},{R(v.ArVsd)},{R(v.ArMssd)},{R(v.ArMspd)},{R(v.ArBop)},{(v.Failed ? "yes" : "no")}\n");
        return sb.ToString();
    }

    private static string R(double v) => v.ToString("R", Ci);
    private static readonly SearchValues<char> CsvQuoted = SearchValues.Create(",\"\n\r");
    private static string Csv(string s) => s.AsSpan().IndexOfAny(CsvQuoted) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\""
        : s;

    /// <summary>
    /// BOP's METHOD_DATASET-SPLIT.csv; BOP splits the name at underscores, so the variant's become hyphens.
    /// </summary>
    public static string BopResultsFileName(string variant, string dataset, string split) =>
        $"{variant.Replace('_', '-')}_{dataset}-{split}.csv";

    /// <summary>The BOP results format: scene_id,im_id,obj_id,score,R,t,time with R row-major and t in mm (both
    /// space-separated) and time the seconds spent on the whole image, the same for each of its estimates.</summary>
    public static string BopCsv(EvalVariantSummary v)
    {
        var perImage =
            v.Records.GroupBy(x => (x.SceneId, x.ImId)).ToDictionary(g => g.Key, g => g.Sum(x => x.FirstFrameSeconds));
        var sb = new StringBuilder("scene_id,im_id,obj_id,score,R,t,time\n");
        foreach (var x in v.Records)
            sb.Append(Ci,
                $"{x.SceneId},{x.ImId},{x.ObjId},{x.Score.ToString("R", Ci)},{string.Join(' ', x.R.Select(d => d.ToString("R", Ci)))},{string.Join(' ', x.TMm.Select(d => d.ToString("R", Ci)))},{perImage[(x.SceneId, x.ImId)].ToString("R", Ci)}\n");
        return sb.ToString();
    }

    // Names are spelled out below (snake_case); a failed variant's infinities are written as named literals.
    private static readonly JsonSerializerOptions ReportJsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static string JsonText(EvalReport r)
    {
        static double? Finite(double? d) => d is double x && double.IsFinite(x) ? x : null;
        var o = new
        {
            dataset = r.Dataset, split = r.Split, command = r.Command, started_utc = r.StartedUtc, weights = r.Weights,
            hypotheses = r.Hypotheses, iterations = r.Iterations, provider = r.Provider, threads = r.Threads,
            instances = r.Instances, shard = r.Shard, merged_shards = r.MergedShards,
            first_frames_run = r.FirstFramesRun, first_frames_resumed = r.FirstFramesResumed,
            mean_first_frame_seconds = r.MeanFirstFrameSeconds,
            mean_scoring_seconds_per_instance = r.MeanScoringSecondsPerInstance,
            scoring_share_of_first_frame = r.ScoringShareOfFirstFrame, total_seconds = r.TotalSeconds,
            variants = r.Variants.Select(v => new
            {
                name = v.Name, description = v.Description, error = v.Error, instances_estimated = v.Estimated,
                auc_adds = v.AucAdds, auc_add = v.AucAdd, add_or_adds_recall_01d = v.AddOrAdds01d,
                ar_vsd = v.ArVsd, ar_mssd = v.ArMssd, ar_mspd = v.ArMspd, ar_bop = v.ArBop, ar_mssd_mspd = v.ArMean,
                median_seconds_per_instance = v.MedianSecondsPerInstance,
                mean_rotation_deviation_deg = v.MeanRotationDeviationDeg,
                max_rotation_deviation_deg = v.MaxRotationDeviationDeg,
                mean_translation_deviation_mm = v.MeanTranslationDeviationMm,
                max_translation_deviation_mm = v.MaxTranslationDeviationMm, per_instance = v.Records.Select(x => new
                {
                    scene_id = x.SceneId, im_id = x.ImId, obj_id = x.ObjId, gt_index = x.GtIndex,
                    add_mm = Finite(x.AddMm), adds_mm = Finite(x.AddsMm), mssd_mm = Finite(x.MssdMm),
                    mspd_px = Finite(x.MspdPx), vsd = x.VsdErrors,
                    rotation_deviation_deg = x.RotationDeviationDeg,
                    translation_deviation_mm = x.TranslationDeviationMm,
                    score = x.Score, seconds = x.FirstFrameSeconds, r = x.R, t_mm = x.TMm,
                }),
            }),
        };
        return JsonSerializer.Serialize(o, ReportJsonOptions) + "\n";
    }

    private static string F(double v, string fmt = "F1") => v.ToString(fmt, Ci);
    private static string F(double? v, string fmt = "F1") => v is double d ? d.ToString(fmt, Ci) : "-";

    public static string Markdown(EvalReport r)
    {
        var sb = new StringBuilder();
        sb.Append(Ci, $"# fpquant eval: {r.Dataset} ({r.Split})\n\n");
        sb.Append(Ci, $"`{r.Command}`\n\n");
        if (r.Shard != null)
            sb.Append(Ci, $"Shard {r.Shard} of the selection (merge the shards' folders with `fpquant eval merge`). ");
        if (r.MergedShards > 0)
            sb.Append(Ci, $"Merged from {r.MergedShards} shard folder(s); times are the shards' sums. ");
        sb.Append(Ci,
            $"{r.Instances} instance(s); weights {r.Weights}; {r.Hypotheses} hypotheses, {r.Iterations} refine " +
            $"iteration(s); {r.Provider}, {r.Threads} thread(s). ");
        sb.Append(Ci,
            $"First frames run now: {r.FirstFramesRun}, taken from an earlier run: {r.FirstFramesResumed}. Started " +
            $"{r.StartedUtc:yyyy-MM-dd HH:mm} UTC, {r.TotalSeconds:F0} s.\n\n");
        sb.Append("| variant | estimated | ADD-S AUC | ADD AUC | ADD(-S) < 0.1 d | AR VSD | AR MSSD | AR MSPD | AR " +
            "(BOP) | s / instance (median) | rotation vs fp32 (mean / max, deg) | translation vs fp32 (mean / max, " +
            "mm) | status |\n");
        sb.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        foreach (var v in r.Variants)
            sb.Append(Ci,
                $"| {v.Name} | {v.Estimated}/{v.Instances} | {F(v.AucAdds)} | {F(v.AucAdd)} | {F(v.AddOrAdds01d)} | " +
                $"{F(v.ArVsd)} | {F(v.ArMssd)} | {F(v.ArMspd)} | {F(v.ArBop)} | " +
                $"{F(v.MedianSecondsPerInstance, "F2")} | {F(v.MeanRotationDeviationDeg, "F2")} / " +
                $"{F(v.MaxRotationDeviationDeg, "F2")} | {F(v.MeanTranslationDeviationMm, "F2")} / " +
                $"{F(v.MaxTranslationDeviationMm, "F2")} | " +
                $"{(v.Failed ? "FAILED: " + v.Error!.Replace('|', '/').Replace('\n', ' ') : "ok")} |\n");
        sb.Append("\nAUCs: area under the accuracy-threshold curve from 0 to 100 mm (YCB-Video), in percent. " +
            "ADD(-S): ADD, or ADD-S for objects with symmetries in models_info.json, under 0.1 of the diameter. ");
        sb.Append("AR MSSD / MSPD: BOP's average recall over thresholds 0.05-0.5 of the diameter / 5-50 px (x " +
            "width/640), with the objects' symmetries. ");
        sb.Append("AR VSD: over misalignment tolerances tau 0.05-0.5 of the diameter and thresholds 0.05-0.5 " +
            "(visibility delta 15 mm, against the test depth). AR (BOP) = mean of the three. Missing estimates count " +
            "as wrong.\n\n");
        sb.Append(Ci,
            $"Scoring (all metrics, all variants) took {1000 * r.MeanScoringSecondsPerInstance:F2} ms per instance, " +
            $"{100 * r.ScoringShareOfFirstFrame:F3} % of a first frame ({r.MeanFirstFrameSeconds:F2} s mean).\n\n");
        var all = r.Variants.SelectMany(v => v.Records).Select(x => x.InstanceKey).Distinct().ToList();
        if (all.Count > 0 && all.Count <= 200)
        {
            sb.Append("## Per instance: ADD-S / MSSD (mm), MSPD (px)\n\n| scene | image | object |");
            foreach (var v in r.Variants) sb.Append(Ci, $" {v.Name} |");
            sb.Append("\n|---:|---:|---:|");
            foreach (var _ in r.Variants) sb.Append("---:|");
            sb.Append('\n');
            var first = r.Variants.SelectMany(v => v.Records).GroupBy(x => x.InstanceKey)
                .ToDictionary(g => g.Key, g => g.First());
            foreach (var key in all.Order(StringComparer.Ordinal))
            {
                var x0 = first[key];
                sb.Append(Ci, $"| {x0.SceneId} | {x0.ImId} | {x0.ObjId} |");
                foreach (var v in r.Variants)
                {
                    var x = v.Records.FirstOrDefault(y => y.InstanceKey == key);
                    sb.Append(x == null ? " - |" : $" {F(x.AddsMm)} / {F(x.MssdMm)} / {F(x.MspdPx)} |");
                }
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }
}
