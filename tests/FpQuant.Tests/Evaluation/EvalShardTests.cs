using System.Text.Json;
using System.Text.Json.Nodes;
using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Datasets;
using FpQuant.Evaluation;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Tests.Cli;
using FpQuant.Tests.Datasets;
using FpQuant.Tests.Support;
using FpQuant.Variants;

namespace FpQuant.Tests.Evaluation;

/// <summary>`eval --shard K/N` and `eval merge`: the shards partition the run, and merged they are the run.</summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class EvalShardTests : IClassFixture<SyntheticDatasetFixture>
{
    private readonly ExportedModels _models;
    private readonly SyntheticDatasetFixture _ds;

    public EvalShardTests(ExportedModels models, SyntheticDatasetFixture ds) { _models = models; _ds = ds; }

    [Theory]
    [InlineData(7, 3)]
    [InlineData(2, 5)]
    [InlineData(9, 1)]
    public void Shards_PartitionTheSelection_InBalance(int count, int shards)
    {
        var items = Enumerable.Range(0, count).ToList();
        var parts = Enumerable.Range(0, shards).Select(k => EvalShard.Parse($"{k}/{shards}").Select(items)).ToList();
        Assert.Equal(items, parts.SelectMany(p => p).Order());
        Assert.True(parts.Max(p => p.Count) - parts.Min(p => p.Count) <= 1);
    }

    [Theory]
    [InlineData("3/3")]
    [InlineData("1")]
    [InlineData("-1/3")]
    [InlineData("1/0")]
    [InlineData("a/b")]
    [InlineData("1/3/4")]
    public void BadShardSpec_IsOneLine(string text)
    {
        var e = Assert.Throws<FpQuantException>(() => EvalShard.Parse(text));
        Assert.StartsWith("shard '", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private EvalSettings Settings(string outDir, EvalShard? shard) => new()
    {
        Dataset = _ds.Root,
        Variants = new[]
        {
            new VariantSpec("fp32", "float32 reference", null, _models.Path(NetworkKind.Refine),
                _models.Path(NetworkKind.Score)),
            new VariantSpec("again", "the same models under another name", null, _models.Path(NetworkKind.Refine),
                _models.Path(NetworkKind.Score)),
        },
        Registration = new RegistrationSettings { Hypotheses = 4, Iterations = 1 },
        Selection = new InstanceSelection { MaxInstances = 4 },
        OutDir = outDir, Shard = shard,
    };

    /// <summary>A results line or report entry without its wall-clock fields, which no two runs share.</summary>
    private static string WithoutTimes(JsonNode node)
    {
        var o = node.AsObject();
        // Measurements of the run, not results: times and the working set.
        foreach (var k in new[] { "first_frame_seconds", "seconds", "median_seconds_per_instance",
            "peak_working_set_bytes" }) o.Remove(k);
        return o.ToJsonString();
    }

    [Fact]
    public void ThreeShardsMerged_EqualOneRun_InEveryNumberOfTheReport()
    {
        using var tmp = new TempDir();
        var whole = new EvalRunner(Settings(tmp.File("whole"), null)).Run("whole");
        Assert.Equal(4, whole.Instances);
        var dirs = Enumerable.Range(0, 3).Select(k => tmp.File($"shard{k}")).ToList();
        var parts = dirs.Select((d, k) => new EvalRunner(Settings(d, new EvalShard(k, 3))).Run($"shard {k}")).ToList();
        Assert.Equal(new[] { 2, 1, 1 }, parts.Select(p => p.Instances));
        Assert.Equal("1/3", parts[1].Shard);
        var merged = EvalMerge.Run(dirs, tmp.File("merged"), "merge");
        Assert.Equal(3, merged.MergedShards);
        Assert.Equal(whole.Instances, merged.Instances);

        // The report's numbers, byte for byte: every variant's summary and every per-instance entry.
        using var a = JsonDocument.Parse(File.ReadAllText(tmp.File("whole/report.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(tmp.File("merged/report.json")));
        var va = a.RootElement.GetProperty("variants");
        var vb = b.RootElement.GetProperty("variants");
        Assert.Equal(2, vb.GetArrayLength());
        for (int v = 0; v < 2; v++)
        {
            foreach (var key in new[] { "name", "error", "instances_estimated", "auc_adds", "auc_add",
                "add_or_adds_recall_01d", "ar_vsd", "ar_mssd", "ar_mspd", "ar_bop",
                         "mean_rotation_deviation_deg", "max_rotation_deviation_deg", "mean_translation_deviation_mm",
                         "max_translation_deviation_mm" })
                Assert.Equal(va[v].GetProperty(key).GetRawText(), vb[v].GetProperty(key).GetRawText());
            var ia = va[v].GetProperty("per_instance").EnumerateArray()
                .Select(e => WithoutTimes(JsonNode.Parse(e.GetRawText())!)).ToList();
            var ib = vb[v].GetProperty("per_instance").EnumerateArray()
                .Select(e => WithoutTimes(JsonNode.Parse(e.GetRawText())!)).ToList();
            Assert.Equal(4, ia.Count);
            Assert.Equal(ia, ib);
        }
        Assert.Contains("\"vsd\"", File.ReadAllText(tmp.File("merged/report.json")));
        // The accuracy summary holds no times: the same bytes.
        Assert.Equal(File.ReadAllBytes(tmp.File("whole/summary.csv")),
            File.ReadAllBytes(tmp.File("merged/summary.csv")));
        Assert.Equal(3, File.ReadAllLines(tmp.File("merged/summary.csv")).Length);
        // The same results lines (the order of a single run: instance by instance, variants in order).
        var la =
            File.ReadAllLines(tmp.File("whole/results.jsonl")).Select(l => WithoutTimes(JsonNode.Parse(l)!)).ToList();
        var lb =
            File.ReadAllLines(tmp.File("merged/results.jsonl")).Select(l => WithoutTimes(JsonNode.Parse(l)!)).ToList();
        Assert.Equal(8, la.Count);
        Assert.Equal(la, lb);
        // The files a single run writes.
        foreach (var f in new[] { "report.md", "run.json", "recall-adds.png", "recall-mssd.png", "fp32_synth-test.csv",
            "again_synth-test.csv" })
            Assert.True(File.Exists(tmp.File(Path.Combine("merged", f))), f);
        Assert.Contains("AR VSD", File.ReadAllText(tmp.File("merged/report.md")));
        // Two variants with the same models: no deviation, and AR (BOP) the mean of the three recalls.
        var again = merged.Variants.Single(v => v.Name == "again");
        Assert.Equal(0, again.MaxRotationDeviationDeg!.Value, 9);
        Assert.Equal((again.ArVsd + again.ArMssd + again.ArMspd) / 3, again.ArBop, 12);
        // A merged folder merges again (as one shard of one).
        var remerged = EvalMerge.Run(new[] { tmp.File("merged") }, tmp.File("merged2"), "merge again");
        Assert.Equal(merged.Variants[0].AucAdds, remerged.Variants[0].AucAdds);

        // --resume refuses another shard's folder.
        var e = Assert.Throws<FpQuantException>(() =>
            new EvalRunner(Settings(dirs[0], new EvalShard(1, 3)) with { Resume = true }).Run("x"));
        Assert.Contains("shard 0/3", e.Message);
    }
}

/// <summary>
/// Bad shard folders for `eval merge`, made by hand (no network runs): each refused with one line naming it.
/// </summary>
[Collection(CliCollection.Name)]
[Trait("Category", "Quick")]
public class EvalMergeBadFolderTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    private static readonly List<string> Selected =
        Enumerable.Range(1, 5).Select(i => $"000001/{i:D6}/000000").ToList();
    private static readonly List<EvalRunVariant> Variants = new() { new("fp32", "float"), new("int8", "quantized") };

    private static EvalRecord Record(string variant, string key)
    {
        var p = key.Split('/').Select(int.Parse).ToArray();
        return new EvalRecord
        {
            Variant = variant, SceneId = p[0], ImId = p[1], GtIndex = p[2], ObjId = 1,
            R = new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 },
            TMm = new double[] { p[1], 0, 500 }, AddMm = 10 * p[1], AddsMm = 5 * p[1], MssdMm = 12 * p[1],
            MspdPx = p[1],
            DiameterMm = 100, ImageWidth = 640, VsdErrors = Enumerable.Repeat(0.1 * p[1], 10).ToArray(),
            FirstFrameSeconds = 1,
        };
    }

    /// <summary>A finished shard folder: run.json, results.jsonl and the report, as the runner writes them.</summary>
    private string Shard(string name, int k, int n, string settings = "settings A")
    {
        string dir = _tmp.File(name);
        Directory.CreateDirectory(dir);
        var shard = new EvalShard(k, n);
        var mine = shard.Select(Selected);
        var records = mine.SelectMany(key => Variants.Select(v => Record(v.Name, key))).ToList();
        File.WriteAllText(Path.Combine(dir, EvalRunner.RunFile),
            JsonSerializer.Serialize(new EvalRunInfo { Settings = settings, Shard = shard.ToString(),
                Variants = Variants, Selected = Selected }, EvalRunner.Json));
        File.WriteAllText(Path.Combine(dir, EvalRunner.ResultsFile),
            string.Concat(records.Select(r => JsonSerializer.Serialize(r, EvalRunner.Json) + "\n")));
        var report = new EvalReport { Dataset = "synth", Split = "test", Instances = mine.Count,
            Shard = shard.ToString(), Provider = "Cpu" };
        EvalRunner.Summarize(report,
            Variants.Select(v => new EvalVariantSummary { Name = v.Name, Description = v.Description }).ToList(),
            records, mine);
        EvalReportWriter.WriteAll(report, dir);
        return dir;
    }

    private static void Refused(Action merge, params string[] mustContain)
    {
        var e = Assert.Throws<FpQuantException>(merge);
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("eval merge: ", e.Message);
        foreach (var s in mustContain) Assert.Contains(s, e.Message);
    }

    [Fact]
    public void GoodShards_Merge_AndEveryKindOfBadFolder_IsOneLine()
    {
        var s = new[] { Shard("s0", 0, 3), Shard("s1", 1, 3), Shard("s2", 2, 3) };
        var merged = EvalMerge.Run(s, _tmp.File("out"), "merge");
        Assert.Equal(5, merged.Instances);
        Assert.Equal(5, merged.Variants[0].Estimated);
        // Errors 10..50 mm for a 100 mm diameter: ADD(-S) < 10 mm none; VSD 0.1..0.5 at every tau.
        Assert.Equal(0, merged.Variants[0].AddOrAdds01d);
        Assert.True(merged.Variants[0].ArVsd > 0);
        string M(string name) => _tmp.File(name);

        Refused(() => EvalMerge.Run(new[] { s[0], s[1], s[0] }, M("o1"), "m"), "s0", "both shard 0/3");
        Refused(() => EvalMerge.Run(new[] { s[0], s[1] }, M("o2"), "m"), "shard 2/3 is missing");
        Refused(() => EvalMerge.Run(new[] { s[0], s[1], Shard("other", 2, 3, "settings B") }, M("o3"), "m"), "other",
            "different settings");
        Refused(() => EvalMerge.Run(new[] { s[0], s[1], Shard("four", 2, 4) }, M("o4"), "m"), "four", "2/4");
        Refused(() => EvalMerge.Run(new[] { s[0], s[1], s[2] }, s[1], "m"), "is one of the shard folders");
        Refused(() => EvalMerge.Run(new[] { s[0], s[1], M("nothing") }, M("o5"), "m"), "nothing", "does not exist");
        Refused(() => EvalMerge.Run(Array.Empty<string>(), M("o5"), "m"), "give the shard folders");

        // A gap: a line of shard 1 lost.
        var gap = Shard("gap", 1, 3);
        var lines = File.ReadAllLines(Path.Combine(gap, EvalRunner.ResultsFile));
        File.WriteAllLines(Path.Combine(gap, EvalRunner.ResultsFile), lines.Skip(1));
        Refused(() => EvalMerge.Run(new[] { s[0], gap, s[2] }, M("o6"), "m"), "gap", "lacks fp32",
            "resuming its results");
        // The same line twice.
        File.WriteAllLines(Path.Combine(gap, EvalRunner.ResultsFile), lines.Append(lines[0]));
        Refused(() => EvalMerge.Run(new[] { s[0], gap, s[2] }, M("o7"), "m"), "gap", "twice");
        // A torn last line is refused (merge only reads shard folders; --resume would trim it).
        File.WriteAllText(Path.Combine(gap, EvalRunner.ResultsFile), string.Join("\n", lines) + "\n{\"variant\": \"fp");
        Refused(() => EvalMerge.Run(new[] { s[0], gap, s[2] }, M("o8"), "m"), "gap", "not an eval record");
        Assert.EndsWith("\"fp", File.ReadAllText(Path.Combine(gap, EvalRunner.ResultsFile)));
        // A result of another shard's instance.
        File.WriteAllLines(Path.Combine(gap, EvalRunner.ResultsFile),
            lines.Append(JsonSerializer.Serialize(Record("fp32", Selected[0]), EvalRunner.Json)));
        Refused(() => EvalMerge.Run(new[] { s[0], gap, s[2] }, M("o9"), "m"), "gap", "not in its shard 1/3");

        // Unfinished (no report.json), not an eval folder (no run.json), a run.json of another kind.
        var unfinished = Shard("unfinished", 2, 3);
        File.Delete(Path.Combine(unfinished, "report.json"));
        Refused(() => EvalMerge.Run(new[] { s[0], s[1], unfinished }, M("o10"), "m"), "unfinished", "did not finish");
        var plain = M("plain");
        Directory.CreateDirectory(plain);
        Refused(() => EvalMerge.Run(new[] { s[0], s[1], plain }, M("o11"), "m"), "plain", "run.json");
        var old = Shard("old", 2, 3);
        File.WriteAllText(Path.Combine(old, EvalRunner.RunFile), "{\"settings\": \"settings A\"}");
        Refused(() => EvalMerge.Run(new[] { s[0], s[1], old }, M("o12"), "m"), "old", "run.json");
        // Different variants or selections.
        var vars = Shard("vars", 2, 3);
        File.WriteAllText(Path.Combine(vars, EvalRunner.RunFile),
            JsonSerializer.Serialize(new EvalRunInfo { Settings = "settings A", Shard = "2/3",
                Variants = Variants.Take(1).ToList(), Selected = Selected }, EvalRunner.Json));
        Refused(() => EvalMerge.Run(new[] { s[0], s[1], vars }, M("o13"), "m"), "vars", "different variants");
        File.WriteAllText(Path.Combine(vars, EvalRunner.RunFile),
            JsonSerializer.Serialize(new EvalRunInfo { Settings = "settings A", Shard = "2/3", Variants = Variants,
                Selected = Selected.Take(4).ToList() }, EvalRunner.Json));
        Refused(() => EvalMerge.Run(new[] { s[0], s[1], vars }, M("o14"), "m"), "vars", "different instances");
    }

    [Fact]
    public void Cli_MergeOfABadFolder_ExitsTwo_WithOneLine()
    {
        var s0 = Shard("c0", 0, 2);
        var r = CliHarness.Run("eval", "merge", s0, "--out", _tmp.File("out"));
        CliHarness.AssertOneLineError(r, "shard 1/2 is missing");
        var ok = CliHarness.Run("eval", "merge", s0, Shard("c1", 1, 2), "--out", _tmp.File("out"));
        Assert.Equal(0, ok.Code);
        Assert.True(File.Exists(_tmp.File("out/report.md")));
        CliHarness.AssertOneLineError(CliHarness.Run("eval", "--dataset", _tmp.File("nowhere"), "--out",
            _tmp.File("o2"), "--shard", "3/3"), "--shard '3/3'");
    }
}
