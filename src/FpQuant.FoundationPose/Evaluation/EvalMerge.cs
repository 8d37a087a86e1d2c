using System.Text;
using System.Text.Json;
using FpQuant.Core;

namespace FpQuant.Evaluation;

/// <summary>
/// `fpquant eval merge`: the folders of the shards of one eval run (`eval --shard K/N --out DIR_K`) into the report a
/// single run would have written: OUT/results.jsonl (every shard's lines, in selection order), run.json, report.md,
/// report.json, the BOP CSVs and the charts. Shards must share the settings, the variants and the selection, be
/// distinct and complete (every K of 0..N-1 once) and hold every result of their instances for each variant that did
/// not fail; anything else is refused with one line naming the folder. The shard folders are only read.
/// </summary>
internal static class EvalMerge
{
    private sealed record Shard(string Dir, EvalRunInfo Run, EvalShard Part, List<EvalRecord> Records,
        ShardReport Report);

    /// <summary>What the merge takes from a shard's report.json: its header and each variant's error.</summary>
    private sealed record ShardReport(string Dataset, string Split, DateTime StartedUtc, string Weights, int Hypotheses,
        int Iterations,
        string Provider, int Threads, int FirstFramesRun, int FirstFramesResumed, double MeanFirstFrameSeconds,
        double MeanScoringSeconds, double TotalSeconds, Dictionary<string, string?> Errors);

    public static EvalReport Run(IReadOnlyList<string> shardDirs, string outDir, string command)
    {
        if (shardDirs.Count == 0)
            throw new FpQuantException("eval merge: give the shard folders to merge (the output folder of each shard " +
                "of a sharded eval)");
        string outFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        foreach (var d in shardDirs)
            if (string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(d)), outFull,
                StringComparison.Ordinal))
                throw new FpQuantException($"eval merge: the output folder '{outDir}' is one of the shard folders; " +
                    $"write the merged report to a folder of its own");
        var shards = shardDirs.Select(Read).ToList();
        Check(shards);

        var first = shards[0];
        var selected = first.Run.Selected;
        var order = selected.Select((key, i) => (key, i)).ToDictionary(x => x.key, x => x.i);
        var variantOrder = first.Run.Variants.Select((v, i) => (v.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var records = shards.SelectMany(s => s.Records)
            .OrderBy(r => order[r.InstanceKey]).ThenBy(r => variantOrder[r.Variant]).ToList();
        var reports = shards.Select(s => s.Report).ToList();
        int frames = reports.Sum(r => r.FirstFramesRun);
        double Weighted(Func<ShardReport, double> f) => frames > 0 ? reports.Sum(r => f(r) * r.FirstFramesRun) / frames
            : 0;
        var report = new EvalReport
        {
            Dataset = first.Report.Dataset, Split = first.Report.Split, Command = command,
            StartedUtc = reports.Min(r => r.StartedUtc), Weights = first.Report.Weights,
            Hypotheses = first.Report.Hypotheses, Iterations = first.Report.Iterations,
            Provider = string.Join(", ", reports.Select(r => r.Provider).Distinct()),
            Threads = reports.Max(r => r.Threads), Instances = selected.Count, MergedShards = shards.Count,
            FirstFramesRun = frames, FirstFramesResumed = reports.Sum(r => r.FirstFramesResumed),
            MeanFirstFrameSeconds = Weighted(r => r.MeanFirstFrameSeconds),
            MeanScoringSecondsPerInstance = Weighted(r => r.MeanScoringSeconds),
            TotalSeconds = reports.Sum(r => r.TotalSeconds),
        };
        var variants = first.Run.Variants.Select(v => new EvalVariantSummary
        {
            Name = v.Name, Description = v.Description,
            Error = reports.Select(r => r.Errors.GetValueOrDefault(v.Name)).FirstOrDefault(e => e != null),
        }).ToList();
        EvalRunner.Summarize(report, variants, records, selected);

        try { Directory.CreateDirectory(outDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"outDir '{outDir}' cannot be created ({e.Message}); pass a writable folder", e);
        }
        AtomicFile.WriteAllText(Path.Combine(outDir, EvalRunner.ResultsFile),
            string.Concat(records.Select(r => JsonSerializer.Serialize(StoredForm(r), EvalRunner.Json) + "\n")));
        AtomicFile.WriteAllText(Path.Combine(outDir, EvalRunner.RunFile),
            JsonSerializer.Serialize(first.Run with { Shard = null }, EvalRunner.Json) + "\n");
        EvalReportWriter.WriteAll(report, outDir);
        return report;
    }

    /// <summary>A record as the runner appends it: without the deviations the report fills in.</summary>
    private static EvalRecord StoredForm(EvalRecord r) =>
        r with { RotationDeviationDeg = null, TranslationDeviationMm = null };

    private static Shard Read(string dir)
    {
        if (!Directory.Exists(dir)) throw new FpQuantException($"eval merge: shard folder '{dir}' does not exist");
        string runPath = Path.Combine(dir, EvalRunner.RunFile), resultsPath = Path.Combine(dir, EvalRunner.ResultsFile),
            reportPath = Path.Combine(dir, "report.json");
        if (!File.Exists(runPath))
            throw new FpQuantException(
                $"eval merge: '{dir}' has no {EvalRunner.RunFile}; give the output folders of a sharded eval");
        EvalRunInfo run;
        try { run = JsonSerializer.Deserialize<EvalRunInfo>(File.ReadAllText(runPath), EvalRunner.Json)
            ?? throw new JsonException("null"); }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"eval merge: '{runPath}' is not an eval run file of this version " +
                $"({OneLine(e.Message)}); rerun that shard", e);
        }
        var part = run.Shard == null ? new EvalShard(0, 1) : ParseShard(run.Shard, runPath);
        if (!File.Exists(reportPath))
            throw new FpQuantException($"eval merge: '{dir}' has no report.json, so its shard {part} did not finish; " +
                $"finish it by running that shard again with Resume");
        if (!File.Exists(resultsPath))
            throw new FpQuantException($"eval merge: '{dir}' has no {EvalRunner.ResultsFile}; rerun its shard {part}");
        List<EvalRecord> records;
        try { records = EvalRunner.ReadResults(resultsPath, repair: false); }
        catch (FpQuantException e) { throw new FpQuantException($"eval merge: {e.Message}", e); }
        return new Shard(dir, run, part, records, ReadReport(reportPath));
    }

    private static EvalShard ParseShard(string text, string path)
    {
        try { return EvalShard.Parse(text); }
        catch (FpQuantException) { throw new FpQuantException($"eval merge: '{path}' names shard " +
            $"'{ErrorText.Quote(text)}', which is not K/N; rerun that shard"); }
    }

    private static ShardReport ReadReport(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var r = doc.RootElement;
            var errors = new Dictionary<string, string?>();
            foreach (var v in r.GetProperty("variants").EnumerateArray())
                errors[v.GetProperty("name").GetString()!] = v.GetProperty("error").ValueKind == JsonValueKind.String
                    ? v.GetProperty("error").GetString() : null;
            return new ShardReport(r.GetProperty("dataset").GetString()!, r.GetProperty("split").GetString()!,
                r.GetProperty("started_utc").GetDateTime(),
                r.GetProperty("weights").GetString()!, r.GetProperty("hypotheses").GetInt32(),
                r.GetProperty("iterations").GetInt32(),
                r.GetProperty("provider").GetString()!, r.GetProperty("threads").GetInt32(),
                r.GetProperty("first_frames_run").GetInt32(),
                r.GetProperty("first_frames_resumed").GetInt32(), r.GetProperty("mean_first_frame_seconds").GetDouble(),
                r.GetProperty("mean_scoring_seconds_per_instance").GetDouble(),
                r.GetProperty("total_seconds").GetDouble(), errors);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException
            or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"eval merge: '{path}' is not an eval report ({OneLine(e.Message)}); rerun " +
                $"that shard with Resume", e);
        }
    }

    private static void Check(List<Shard> shards)
    {
        var a = shards[0];
        foreach (var b in shards.Skip(1))
        {
            if (b.Run.Settings != a.Run.Settings)
                throw new FpQuantException($"eval merge: '{a.Dir}' and '{b.Dir}' were run with different settings " +
                    $"({a.Run.Settings} / {b.Run.Settings}); merge only the shards of one run");
            if (!b.Run.Variants.SequenceEqual(a.Run.Variants))
                throw new FpQuantException($"eval merge: '{a.Dir}' and '{b.Dir}' ran different variants " +
                    $"({string.Join(",", a.Run.Variants.Select(v => v.Name))} / " +
                    $"{string.Join(",", b.Run.Variants.Select(v => v.Name))}); give every shard the same Variants");
            if (!b.Run.Selected.SequenceEqual(a.Run.Selected))
                throw new FpQuantException($"eval merge: '{a.Dir}' and '{b.Dir}' selected different instances " +
                    $"({a.Run.Selected.Count} / {b.Run.Selected.Count}); give every shard the same dataset, Scenes, " +
                    $"Objects, MaxInstances, MinVisible and UseTargets");
            if (b.Part.Count != a.Part.Count)
                throw new FpQuantException($"eval merge: '{a.Dir}' is shard {a.Part} but '{b.Dir}' is shard " +
                    $"{b.Part}; merge the shards of one Shard K/N split");
        }
        int n = a.Part.Count;
        var byIndex = new Dictionary<int, Shard>();
        foreach (var s in shards)
        {
            if (byIndex.TryGetValue(s.Part.Index, out var other))
                throw new FpQuantException($"eval merge: '{other.Dir}' and '{s.Dir}' are both shard {s.Part}; give " +
                    $"each shard's folder once");
            byIndex[s.Part.Index] = s;
        }
        var missing = Enumerable.Range(0, n).Where(k => !byIndex.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new FpQuantException($"eval merge: shard{(missing.Count > 1 ? "s" : "")} " +
                $"{string.Join(", ", missing.Select(k => $"{k}/{n}"))} {(missing.Count > 1 ? "are" : "is")} missing " +
                $"(given: {string.Join(", ", shards.Select(s => s.Part.ToString()))}); pass every shard's folder");
        var names = a.Run.Variants.Select(v => v.Name).ToHashSet();
        foreach (var s in shards)
        {
            string results = Path.Combine(s.Dir, EvalRunner.ResultsFile);
            var mine = s.Part.Select(a.Run.Selected);
            var own = mine.ToHashSet();
            var seen = new HashSet<(string, string)>();
            foreach (var r in s.Records)
            {
                if (!names.Contains(r.Variant))
                    throw new FpQuantException($"eval merge: '{results}' has a result of variant " +
                        $"'{ErrorText.Quote(r.Variant)}', which its run.json does not list; rerun that shard");
                if (!own.Contains(r.InstanceKey))
                    throw new FpQuantException($"eval merge: '{results}' has a result for instance {r.InstanceKey}, " +
                        $"which is not in its shard {s.Part}; rerun that shard in a folder of its own");
                if (!seen.Add((r.Variant, r.InstanceKey)))
                    throw new FpQuantException($"eval merge: '{results}' holds {r.Variant} on instance " +
                        $"{r.InstanceKey} twice; rerun that shard in a fresh folder");
            }
            foreach (var v in a.Run.Variants)
            {
                // a failed variant has no results to require
                if (s.Report.Errors.GetValueOrDefault(v.Name) != null) continue;
                var gap = mine.Where(k => !seen.Contains((v.Name, k))).ToList();
                if (gap.Count > 0)
                    throw new FpQuantException($"eval merge: '{s.Dir}' (shard {s.Part}) lacks {v.Name} on " +
                        $"{gap.Count} of its {mine.Count} instance(s), first {gap[0]}; finish it by running that " +
                        $"shard again, resuming its results");
            }
        }
    }

    private static string OneLine(string s) => ErrorText.Quote(s, 200);
}
