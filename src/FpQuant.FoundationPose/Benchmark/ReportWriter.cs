using System.Globalization;
using System.Text;
using System.Text.Json;
using FpQuant.Core;

namespace FpQuant.Benchmark;

/// <summary>Writes report.json, report.md and the charts; every file is written whole or not at all.</summary>
internal static class ReportWriter
{
    public static void WriteAll(BenchReport report, string dir)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "report.json"), JsonSerializer.Serialize(report, ReportJson.Options));
        var charts = Charts.WriteAll(report, dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), Markdown(report, charts));
    }

    public static BenchReport Read(string path) =>
        JsonSerializer.Deserialize<BenchReport>(File.ReadAllText(path), ReportJson.Options)
            ?? throw new FpQuantException($"'{path}' is not a bench report");

    private static string F(double v, string fmt = "F2") => double.IsFinite(v)
        ? v.ToString(fmt, CultureInfo.InvariantCulture) : v > 0 ? "inf" : "n/a";

    /// <summary>The main table's rows, shared by the console and the markdown report.</summary>
    public static IEnumerable<string[]> TableRows(BenchReport r)
    {
        foreach (var v in r.Variants)
        {
            if (v.Failed)
            {
                yield return new[] { v.Name, "FAILED", v.Error ?? "", "", "", "", "", "", "", "", "", "", "" };
                continue;
            }
            var f = v.Fidelity;
            yield return new[]
            {
                v.Name,
                F((v.RefineBytes + v.ScoreBytes) / 1e6, "F1"),
                F(v.RefineCreateSeconds + v.ScoreCreateSeconds) + (v.RefineCreateCachedSeconds is double a
                    && v.ScoreCreateCachedSeconds is double b ? $" ({F(a + b)})" : ""),
                F(v.ColdFirstFrameSeconds),
                v.WarmFrame == null ? "" : $"{F(v.WarmFrame.Median)} [{F(v.WarmFrame.Min)}-{F(v.WarmFrame.Max)}]",
                v.Refine == null ? "" : F(v.RefineMsPerPair, "F1"),
                v.Score == null ? "" : F(v.ScoreMsPerPair, "F1"),
                F(100 * v.ScoreShare, "F0") + " %",
                v.SpeedupNetwork is double s ? F(s) + "x" : "",
                F(v.AddedWorkingSetBytes / 1e6, "F0"),
                f == null ? "" : F(f.ScoreSpearman, "F3"),
                f == null ? "" : f.Top1Agrees ? "yes" : "no",
                f == null ? "" : $"{F(f.RotationDevMaxDeg)} / {F(f.TranslationDevMaxPct)}",
            };
        }
    }

    public static readonly string[] TableHeader =
    {
        "variant", "size MB", "create s (cached)", "cold 1st frame s", "warm frame s [min-max]", "refine ms/pair",
        "score ms/pair", "score share", "speed-up", "added memory MB", "Spearman", "top-1", "max rot deg / trans %",
    };

    public static readonly string[] TruthHeader =
    {
        "variant", "chosen: rot deg", "trans mm", "ADD mm", "all refined: mean rot deg", "mean trans mm", "mean ADD mm",
        "vs fp32: mean rot deg / trans %",
    };

    /// <summary>Each variant's poses against the scene's true pose, beside its deviation from the reference; empty
    /// when the scene's truth is unknown.</summary>
    public static IEnumerable<string[]> TruthRows(BenchReport r)
    {
        foreach (var v in r.Variants.Where(v => !v.Failed && v.Truth != null))
        {
            var t = v.Truth!;
            var f = v.Fidelity;
            yield return new[]
            {
                v.Name, F(t.Chosen.RotationDeg), F(t.Chosen.TranslationMm, "F1"), F(t.Chosen.AddMm, "F1"),
                F(t.MeanRotationDeg), F(t.MeanTranslationMm, "F1"), F(t.MeanAddMm, "F1"),
                f == null ? "" : $"{F(f.RotationDevMeanDeg, "F3")} / {F(f.TranslationDevMeanPct, "F3")}",
            };
        }
    }

    /// <summary>
    /// One line on the process's memory: its peak, the budget, and each variant's peak and added memory.
    /// </summary>
    public static string MemoryLine(BenchReport r) =>
        $"memory: process peak working set {F(r.PeakWorkingSetBytes / 1048576.0, "F0")} MB" +
        (r.MaxMemoryBytes > 0 ? $" (budget {F(r.MaxMemoryBytes / 1048576.0, "F0")} MB)" : " (no budget)") + "; one " +
            "variant alive at a time: " +
        string.Join(", ", r.Variants.Where(v => !v.Failed).Select(v =>
            $"{v.Name} peak {F(v.PeakWorkingSetBytes / 1048576.0, "F0")} MB, added " +
                $"{F(v.AddedWorkingSetBytes / 1048576.0, "F0")} MB (refine batch {v.RefineBatchUsed}, score chunk " +
                $"{v.ScoreChunk}" +
            (v.RecreateSeconds.Count > 0
                ? $", sessions recreated in {F(Summary.Of(v.RecreateSeconds).Median)} s per turn)" : ")")));

    public static string Markdown(BenchReport r, IReadOnlyList<string> charts)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# fpquant first-frame benchmark");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- command: `{r.Command}`");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"- started: {r.StartedUtc:yyyy-MM-dd HH:mm} UTC; machine: {r.Machine}; ONNX Runtime {r.OnnxRuntime}, " +
            $"provider {r.Provider}, {r.Threads} threads");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"- workload: {r.Hypotheses} hypotheses, {r.Iterations} refine iteration(s) (RefineNet batches of " +
            $"{r.RefineBatch}), ScoreNet over one group of {r.Hypotheses} (its per-pair part in chunks when a memory " +
            $"budget is set); weights {r.Weights}; {r.Crops}");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"- timing: {r.Warmup} warm-up round(s), {r.Repeats} repeat(s) in alternating order; medians, [min-max]; " +
            $"ratios against `{r.Reference}` of this run; total {r.TotalSeconds:F0} s");
        sb.AppendLine();
        sb.AppendLine("| " + string.Join(" | ", TableHeader) + " |");
        sb.AppendLine("|" + string.Concat(TableHeader.Select(_ => "---|")));
        foreach (var row in TableRows(r))
            sb.AppendLine("| " + string.Join(" | ", row.Select(c => c.Replace("|", "\\|"))) + " |");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- {MemoryLine(r)}");
        sb.AppendLine();
        sb.AppendLine("Columns: size of both model files; session creation of both networks (in brackets: from ONNX " +
            "Runtime's saved optimized graph, loaded with optimizations off); cold first frame = session creation + " +
            "the first frame; warm frame includes rendering and cropping (or synthetic crop generation); per-pair " +
            "times are the networks' alone; score share = ScoreNet's part of the network time; speed-up = network " +
            "time of the reference / this variant's; added memory = the process's peak working set during the " +
            "variant's turns (its sessions created, a frame run, its sessions freed; no other variant alive), less " +
            "the working set just before (report.json also has the absolute peak; the memory chart shows the run " +
            "over time); fidelity against the reference on the same inputs: Spearman correlation and top-1 agreement " +
            "of the scores, largest refined-pose deviation.");
        sb.AppendLine();
        var staged = r.Variants.Where(v => !v.Failed && v.StageMedians.Count > 0).ToList();
        if (staged.Count > 0)
        {
            sb.AppendLine("## Stage split of the warm frame (median seconds)");
            sb.AppendLine();
            var names = BenchRunner.StageColumns.Select(c => c.Name).ToList();
            sb.AppendLine("| variant | " + string.Join(" | ", names) + " |");
            sb.AppendLine("|---|" + string.Concat(names.Select(_ => "---|")));
            foreach (var v in staged)
                sb.AppendLine($"| {v.Name} | " + string.Join(" | ",
                    names.Select(n => F(v.StageMedians.GetValueOrDefault(n), "F3"))) + " |");
            sb.AppendLine();
            sb.AppendLine("setup = translation guess and hypotheses; render = every hypothesis drawn into its 160 x " +
                "160 window (all iterations and the scoring pass); crop = the frame warped into the windows; " +
                "refine/score = the networks.");
            sb.AppendLine();
        }
        var truth = TruthRows(r).ToList();
        if (truth.Count > 0)
        {
            sb.AppendLine("## Accuracy against the true pose");
            sb.AppendLine();
            sb.AppendLine("| " + string.Join(" | ", TruthHeader) + " |");
            sb.AppendLine("|" + string.Concat(TruthHeader.Select(_ => "---|")));
            foreach (var row in truth) sb.AppendLine("| " + string.Join(" | ", row) + " |");
            sb.AppendLine();
            sb.AppendLine("The scene's true pose against the last frame's chosen pose and against all refined " +
                "hypotheses (rotation angle; distance between translations in the mesh file's frame; ADD = mean " +
                "distance of up to 2000 model points), beside the mean deviation from the reference's poses on the " +
                "same inputs. With synthetic weights the poses are not meaningful; a trained checkpoint makes them " +
                "so.");
            sb.AppendLine();
        }
        sb.AppendLine("## Fidelity detail");
        sb.AppendLine();
        sb.AppendLine(
            "| variant | score SQNR dB | refine-output SQNR dB | mean rot deg | mean trans % diameter | quantize s |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var v in r.Variants.Where(v => !v.Failed && v.Fidelity != null))
        {
            var f = v.Fidelity!;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {v.Name} | {F(f.ScoreSqnrDb, "F1")} | {F(f.RefineSqnrDb, "F1")} | " +
                $"{F(f.RotationDevMeanDeg, "F3")} | {F(f.TranslationDevMeanPct, "F3")} | " +
                $"{F(v.QuantizeSeconds, "F1")} |");
        }
        if (r.Variants.Any(v => v.Profile != null))
        {
            sb.AppendLine();
            sb.AppendLine("## Profile (ONNX Runtime kernel time of one frame, ms)");
            foreach (var v in r.Variants.Where(v => v.Profile != null))
            {
                sb.AppendLine();
                sb.AppendLine(CultureInfo.InvariantCulture, $"### {v.Name}");
                sb.AppendLine();
                sb.AppendLine("| module group | ms | | op type | ms |");
                sb.AppendLine("|---|---|---|---|---|");
                var mods = v.Profile!.ByModule.OrderByDescending(k => k.Value).ToList();
                var ops = v.Profile.ByOpType.OrderByDescending(k => k.Value).Take(Math.Max(mods.Count, 8)).ToList();
                for (int i = 0; i < Math.Max(mods.Count, ops.Count); i++)
                    sb.AppendLine(CultureInfo.InvariantCulture,
                        $"| {(i < mods.Count ? mods[i].Key : "")} | {(i < mods.Count ? F(mods[i].Value, "F1") : "")} " +
                        $"| | {(i < ops.Count ? ops[i].Key : "")} | {(i < ops.Count ? F(ops[i].Value, "F1") : "")} |");
            }
        }
        foreach (var v in r.Variants.Where(v => v.Warnings.Count > 0))
            sb.AppendLine(CultureInfo.InvariantCulture, $"\n- {v.Name}: {string.Join("; ", v.Warnings)}");
        if (charts.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Charts");
            foreach (var c in charts)
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"\n![{Path.GetFileNameWithoutExtension(c)}]({Path.GetFileName(c)})");
        }
        return sb.ToString();
    }
}
