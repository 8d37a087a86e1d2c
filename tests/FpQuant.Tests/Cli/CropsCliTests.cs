using FpQuant.Tests.Support;

namespace FpQuant.Tests.Cli;

[Collection(CliCollection.Name)]
[Trait("Category", "Quick")]
public class CropsCliTests
{
    [Fact]
    public void Crops_WritesShards_AndSaysWhatItWrote()
    {
        using var t = new TempDir();
        var r = CliHarness.Run("crops", "--out", t.File("set"), "--count", "2", "--shard-size", "1", "--dtype",
            "float16", "--threads", "2");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("2 refine pairs and 0 score groups in 2 shard(s)", r.Out);
        Assert.Contains("pairs/s", r.Err);
        Assert.True(File.Exists(Path.Combine(t.File("set"), "refine-00001.B.npy")));
    }

    [Theory]
    [InlineData("--kind", "pairs", "--kind")]
    [InlineData("--dtype", "int8", "--dtype")]
    [InlineData("--max-rot-deg", "60", "--max-rot-deg")]
    [InlineData("--threads", "0", "--threads")]
    [InlineData("--shard-size", "0", "--shard-size")]
    [InlineData("--scene", "/nonexistent/scene", "/nonexistent/scene")]
    public void BadOptions_GiveOneLine(string option, string value, string named)
    {
        using var t = new TempDir();
        CliHarness.AssertOneLineError(CliHarness.Run("crops", "--out", t.File("set"), "--count", "1", option, value),
            named);
    }

    [Fact]
    public void UnwritableOrUsedOutput_GivesOneLine()
    {
        using var t = new TempDir();
        File.WriteAllText(t.File("file"), "x");
        CliHarness.AssertOneLineError(CliHarness.Run("crops", "--out", Path.Combine(t.File("file"), "set"), "--count",
            "1"), "--out");
        CliHarness.AssertOneLineError(CliHarness.Run("crops", "--out", t.File("file"), "--count", "1"), "--out",
            "is a file");
        Assert.Equal(0, CliHarness.Run("crops", "--out", t.File("set"), "--count", "1").Code);
        CliHarness.AssertOneLineError(CliHarness.Run("crops", "--out", t.File("set"), "--count", "1"),
            "already holds a crop set");
    }
}
