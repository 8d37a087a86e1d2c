using FpQuant.Core;
using FpQuant.Tests.Datasets;
using FpQuant.Tests.Support;
using FpQuant.Variants;

namespace FpQuant.Tests.Cli;

/// <summary>
/// One rule for a failing variant (<see cref="VariantFailure"/>): `bench` and `eval` each write their report, name the
/// variant on stderr and exit with the same code, 1, which is neither success nor bad input (2). And the rule itself:
/// the variant's own errors fail it, a bug or a cancellation stops the run.
/// </summary>
[Trait("Category", "Heavy")]
[Collection(CliCollection.Name)]
public class VariantFailureExitCodeTests : IClassFixture<SyntheticDatasetFixture>
{
    private readonly SyntheticDatasetFixture _ds;
    public VariantFailureExitCodeTests(SyntheticDatasetFixture ds) { _ds = ds; }

    [Fact]
    public void BenchAndEval_ExitTheSame_ForAFailedVariant()
    {
        using var tmp = new TempDir();
        string broken = $"broken={tmp.File("nope.onnx")},{tmp.File("nope2.onnx")}";
        var bench = CliHarness.Run("bench", "--scene", "synthetic", "--hypotheses", "2", "--iterations", "0",
            "--repeats", "1", "--no-startup-cache", "--threads", "2", "--variants", "fp32", "--variant", broken,
            "--cache", tmp.File("cache"), "--out", tmp.File("bench"));
        var eval = CliHarness.Run("eval", "--dataset", _ds.Root, "--variants", broken, "--max-instances", "1",
            "--hypotheses", "2", "--iterations", "0", "--cache", tmp.File("cache"), "--out", tmp.File("eval"));
        Assert.Equal(1, VariantFailure.ExitCode);
        Assert.Equal(VariantFailure.ExitCode, bench.Code);
        Assert.Equal(bench.Code, eval.Code);
        Assert.True(File.Exists(Path.Combine(tmp.File("bench"), "report.json")), "bench wrote no report");
        Assert.True(File.Exists(Path.Combine(tmp.File("eval"), "report.json")), "eval wrote no report");
        Assert.Contains("nope.onnx", eval.Err);
        Assert.Contains("broken", bench.Err);
    }

    [Fact]
    public void VariantErrorsFailTheVariant_BugsAndCancellationStopTheRun()
    {
        Assert.Equal("model file 'x.onnx' does not exist",
            VariantFailure.Run(() => throw new FpQuantException("model file 'x.onnx' does not exist")));
        Assert.Equal("too big", VariantFailure.Run(() => throw new OutOfMemoryException("too big")));
        Assert.Null(VariantFailure.Run(() => { }));
        foreach (var stop in new Exception[] { new InvalidOperationException("bug"), new ArgumentException("bug"),
                     new IOException("disk"), new OperationCanceledException() })
            Assert.Same(stop, Assert.ThrowsAny<Exception>(() => VariantFailure.Run(() => throw stop)));
    }
}
