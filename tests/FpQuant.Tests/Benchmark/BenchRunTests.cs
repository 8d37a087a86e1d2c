using FpQuant.Benchmark;
using FpQuant.Pipeline;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Benchmark;

public class BenchRunTests
{
    [Fact]
    public void TinyEndToEnd_WritesAReadableReport()
    {
        using var tmp = new TempDir();
        var settings = new BenchSettings
        {
            Frame = new FirstFrameSettings { Hypotheses = 2, Iterations = 1 },
            Variants = new() { VariantSpec.Parse("fp32"), VariantSpec.Parse("convs-int8"), new VariantSpec("broken", "a missing file", null, tmp.File("nope.onnx"), tmp.File("nope2.onnx")) },
            Warmup = 0,
            Repeats = 2,
            Runtime = new RuntimeSettings { IntraOpThreads = 2 },
            CalibrationPairs = 2,
            CacheDir = tmp.File("cache"),
            Profile = true,
        };
        var report = new BenchRunner(settings).Run("test", tmp.File("work"));
        Assert.Equal(3, report.Variants.Count);
        var fp32 = report.Variants[0];
        var int8 = report.Variants[1];
        var broken = report.Variants[2];
        Assert.False(fp32.Failed);
        Assert.False(int8.Failed);
        Assert.True(broken.Failed);
        Assert.Contains("nope.onnx", broken.Error);
        Assert.Equal(2, fp32.WarmRuns.Count);
        Assert.Equal(1.0, fp32.SpeedupNetwork!.Value, 12);
        Assert.True(int8.SizeRatio < 0.5);
        Assert.True(int8.Fidelity!.ScoreSqnrDb > 10);
        Assert.InRange(fp32.ScoreShare, 0.01, 0.99);
        Assert.NotNull(fp32.Profile);
        Assert.True(fp32.Profile!.ByModule.GetValueOrDefault("conv blocks") > 0);
        // The demo scene's truth: every variant's poses are measured against it.
        Assert.True(fp32.Truth!.Chosen.AddMm > 0 && int8.Truth!.MeanAddMm > 0);

        string outDir = tmp.File("report");
        ReportWriter.WriteAll(report, outDir);
        foreach (var f in new[] { "report.json", "report.md", "latency.png", "size.png", "fidelity-vs-speedup.png" })
            Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        var back = ReportWriter.Read(Path.Combine(outDir, "report.json"));
        Assert.Equal(report.Variants.Select(v => v.Name), back.Variants.Select(v => v.Name));
        Assert.Equal(fp32.WarmFrame!.Median, back.Variants[0].WarmFrame!.Median);
        Assert.Equal(broken.Error, back.Variants[2].Error);
        var md = File.ReadAllText(Path.Combine(outDir, "report.md"));
        Assert.Contains("| convs-int8 |", md);
        Assert.Contains("FAILED", md);
        Assert.Contains("## Accuracy against the true pose", md);
        Assert.Equal(fp32.Truth, back.Variants[0].Truth);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(outDir, "latency.png")).Take(4).ToArray());
    }

    [Fact]
    public void Cancellation_StopsTheRun()
    {
        using var tmp = new TempDir();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var settings = new BenchSettings
        {
            Frame = new FirstFrameSettings { Hypotheses = 2, Iterations = 1 },
            Variants = new() { VariantSpec.Parse("fp32") },
            CacheDir = tmp.File("cache"),
        };
        Assert.ThrowsAny<OperationCanceledException>(() => new BenchRunner(settings).Run("test", tmp.File("work"), cts.Token));
    }
}
