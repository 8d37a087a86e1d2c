using FpQuant.Benchmark;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using FpQuant.Variants;

namespace FpQuant.Tests.Benchmark;

/// <summary>
/// bench keeps one variant alive at a time and reports memory: per variant, for the process, over time.
/// </summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class BenchMemoryTests
{
    private readonly ExportedModels _models;
    public BenchMemoryTests(ExportedModels models) { _models = models; }

    [Fact]
    public void Variants_TakeTurns_AndTheReportShowsMemory()
    {
        using var tmp = new TempDir();
        string r = _models.Path(NetworkKind.Refine), s = _models.Path(NetworkKind.Score);
        var settings = new BenchSettings
        {
            Frame =
                new FirstFrameSettings { Hypotheses = 3, Iterations = 1, MaxMemoryBytes = 1L << 30, ScoreChunk = 2 },
            Variants = new() { new VariantSpec("a", "exported", null, r, s),
                new VariantSpec("b", "the same files", null, r, s) },
            Repeats = 2,
            Runtime = new RuntimeSettings { IntraOpThreads = 2 },
            CacheDir = tmp.File("cache"),
            StartupCache = false,
        };
        var report = new BenchRunner(settings).Run("test", tmp.File("work"));
        Assert.All(report.Variants, v => Assert.False(v.Failed, v.Error));
        // A cold turn and two repeats each; turns never overlap, so no two variants' sessions were alive together.
        Assert.Equal(6, report.MemoryPhases.Count);
        Assert.Equal(new[] { "a", "b" }, report.MemoryPhases.Take(2).Select(p => p.Variant));
        for (int i = 1; i < report.MemoryPhases.Count; i++)
            Assert.True(report.MemoryPhases[i].StartSeconds >= report.MemoryPhases[i - 1].EndSeconds,
                $"turn {i} starts before turn {i - 1} ends");
        foreach (var v in report.Variants)
        {
            Assert.Equal(2, v.RecreateSeconds.Count);
            Assert.All(v.RecreateSeconds, x => Assert.True(x > 0));
            Assert.Equal(2, v.ScoreChunk);
            Assert.True(v.PeakWorkingSetBytes > v.AddedWorkingSetBytes && v.AddedWorkingSetBytes > 0);
            Assert.True(report.PeakWorkingSetBytes >= v.PeakWorkingSetBytes);
        }
        // The same models on the same crops: the same scores, chunked or not, turn after turn.
        Assert.Equal(1.0, report.Variants[1].Fidelity!.ScoreSpearman, 9);
        Assert.True(report.MemoryTimeline.Count > 2);
        Assert.True(report.MemoryTimeline.Zip(report.MemoryTimeline.Skip(1))
            .All(p => p.Second.Seconds > p.First.Seconds));

        string outDir = tmp.File("report");
        ReportWriter.WriteAll(report, outDir);
        Assert.True(File.Exists(Path.Combine(outDir, "memory.png")));
        var md = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("process peak working set", md);
        Assert.Contains("budget 1024 MB", md);
        Assert.Contains("![memory](memory.png)", md);
        var back = ReportWriter.Read(Path.Combine(outDir, "report.json"));
        Assert.Equal(report.PeakWorkingSetBytes, back.PeakWorkingSetBytes);
        Assert.Equal(report.MemoryPhases.Count, back.MemoryPhases.Count);
    }
}
