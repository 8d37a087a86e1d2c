using FpQuant.Core;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Cli;

/// <summary>The CLI in-process: exit codes and the one-line errors users see. Console redirection is global,
/// so these tests do not run in parallel with each other.</summary>
[Collection(CliCollection.Name)]
[Trait("Category", "Quick")]
public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private static void AssertOneLineError((int Code, string Out, string Err) r, params string[] mustContain) =>
        CliHarness.AssertOneLineError(r, mustContain);

    [Fact]
    public void UnknownNet_And_UnknownLayout()
    {
        using var tmp = new TempDir();
        AssertOneLineError(Run("export", "--net", "posenet", "--out", tmp.File("m.onnx")), "posenet", "--net");
        AssertOneLineError(Run("export", "--net", "score", "--layout", "nhwc-ish", "--out", tmp.File("m.onnx")),
            "nhwc-ish", "--layout");
        Assert.False(File.Exists(tmp.File("m.onnx")));
    }

    [Fact]
    public void UnwritableOutputPath_IsAClearError_AndNothingIsLeftBehind()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp.File("a-file"), "x");
        // A path below a regular file cannot be created.
        AssertOneLineError(Run("export", "--net", "score", "--out", Path.Combine(tmp.File("a-file"), "m.onnx")),
            "a-file");
        Assert.Equal(new[] { tmp.File("a-file") }, Directory.GetFiles(tmp.Path));
    }

    [Fact]
    public void Infer_MissingFile_WrongByteCount_UnknownInput()
    {
        using var tmp = new TempDir();
        Assert.Equal(0, Run("export", "--net", "score", "--weights", "synthetic:1", "--out", tmp.File("s.onnx")).Code);
        AssertOneLineError(Run("infer", "--model", tmp.File("missing.onnx"), "--input", "A=x.bin", "--input", "B=y.bin",
            "--batch", "1", "--out", tmp.File("o")), "missing.onnx");
        File.WriteAllBytes(tmp.File("a.bin"), new byte[6 * 160 * 160 * 4]);
        File.WriteAllBytes(tmp.File("short.bin"), new byte[1000]);
        AssertOneLineError(Run("infer", "--model", tmp.File("s.onnx"), "--input", $"A={tmp.File("a.bin")}", "--input",
            $"B={tmp.File("short.bin")}", "--batch", "1", "--out", tmp.File("o")),
            "'B'", "short.bin", "1000 bytes", "614400");
        AssertOneLineError(Run("infer", "--model", tmp.File("s.onnx"), "--input", $"A={tmp.File("a.bin")}", "--input",
            $"B={tmp.File("nope.bin")}", "--batch", "1", "--out", tmp.File("o")), "nope.bin", "does not exist");
        AssertOneLineError(Run("infer", "--model", tmp.File("s.onnx"), "--input", $"C={tmp.File("a.bin")}", "--batch",
            "1", "--out", tmp.File("o")), "'C'");
    }

    [Fact]
    public void Infer_WritesOutputsAndListing()
    {
        using var tmp = new TempDir();
        Assert.Equal(0, Run("export", "--net", "score", "--out", tmp.File("s.onnx")).Code);
        string g = TestPaths.Golden("networks-seed0");
        var r = Run("infer", "--model", tmp.File("s.onnx"), "--input", $"A={g}/score.A.bin", "--input",
            $"B={g}/score.B.bin", "--batch", "3", "--out", tmp.File("out"));
        Assert.Equal(0, r.Code);
        Assert.True(File.Exists(Path.Combine(tmp.File("out"), "score_logit.bin")));
        var listing = File.ReadAllText(Path.Combine(tmp.File("out"), "outputs.json"));
        Assert.Contains("\"score_logit\"", listing);
        var got = RawTensorFile.ReadAll(Path.Combine(tmp.File("out"), "score_logit.bin"));
        Golden.AssertClose(Golden.Load("score.score_logit"), new FpQuant.Core.FloatTensor(new[] { 1, 3 }, got),
            "score_logit");
    }

    [Fact]
    public void Inspect_ShowsCheckpointAndQuantizedModel()
    {
        using var tmp = new TempDir();
        var r = Run("inspect", TestPaths.Golden("checkpoints", "refinenet_compact.pth"));
        Assert.Equal(0, r.Code);
        Assert.Contains("RefineNet (all 134 keys and shapes match", r.Out);
        Assert.Equal(0,
            Run("quantize", "--net", "score", "--preset", "convs-int8", "--calibration", "synthetic:2:0",
                "--calibration-batch", "2", "--out", tmp.File("q.onnx")).Code);
        var i = Run("inspect", tmp.File("q.onnx"));
        Assert.Equal(0, i.Code);
        Assert.Contains("quantization: yes", i.Out);
        Assert.Contains("layout NCHW", i.Out);
        Assert.True(File.Exists(tmp.File("q.json")));
        var f = Run("inspect", TestPaths.Golden("checkpoints", "not_a_checkpoint.pth"));
        AssertOneLineError(f, "not_a_checkpoint.pth");
    }

    [Fact]
    public void Quantize_BadOptions_AreNamed()
    {
        using var tmp = new TempDir();
        AssertOneLineError(Run("quantize", "--net", "score", "--preset", "int3", "--out", tmp.File("q.onnx")), "int3");
        AssertOneLineError(Run("quantize", "--net", "score", "--calibration", "random:4", "--out", tmp.File("q.onnx")),
            "--calibration");
        AssertOneLineError(Run("quantize", "--net", "score", "--weight-type", "s4", "--out", tmp.File("q.onnx")),
            "--weight-type");
        // The library says HistogramBins and QuantizedBins; the CLI says the flags its user typed.
        AssertOneLineError(Run("quantize", "--net", "score", "--bins", "8", "--out", tmp.File("q.onnx")),
            "--bins must be at least 16, got 8");
        var r = Run("quantize", "--net", "score", "--quantized-bins", "4096", "--out", tmp.File("q.onnx"));
        AssertOneLineError(r, "--quantized-bins must be between 2 and --bins (2048), got 4096");
        Assert.DoesNotContain("HistogramBins", r.Err);
    }

    [Fact]
    public void ParseErrors_AreOneLine()
    {
        var r = Run("export", "--net");
        Assert.Equal(2, r.Code);
        Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "cli (console redirection)";
}
