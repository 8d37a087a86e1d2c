using FpQuant.Benchmark;
using FpQuant.Variants;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Cli;

[Collection(CliCollection.Name)]
[Trait("Category", "Heavy")]
public class BenchCliTests
{
    [Fact]
    public void AFailedVariant_WritesTheReport_AndExitsNonZero()
    {
        // One failed variant is enough for a non-zero exit: a script must not see success beside a FAILED row.
        using var tmp = new TempDir();
        string outDir = tmp.File("report");
        var r =
            CliHarness.Run("bench", "--scene", "synthetic", "--hypotheses", "2", "--iterations", "0", "--repeats", "1",
            "--no-startup-cache", "--threads", "2", "--variants", "fp32", "--variant",
            $"broken={tmp.File("nope.onnx")},{tmp.File("nope2.onnx")}", "--cache", tmp.File("cache"), "--out", outDir);
        Assert.Equal(VariantFailure.ExitCode, r.Code);
        var report = ReportWriter.Read(Path.Combine(outDir, "report.json"));
        Assert.False(report.Variants.Single(v => v.Name == "fp32").Failed);
        Assert.Contains("nope.onnx", report.Variants.Single(v => v.Name == "broken").Error);
        Assert.Contains("fpquant: error: 1 of 2 variant(s) failed (broken)", r.Err);
        Assert.EndsWith("\n", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }
}
