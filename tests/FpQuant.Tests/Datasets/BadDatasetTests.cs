using FpQuant.Datasets;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Tests.Cli;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Datasets;

/// <summary>
/// Broken datasets: `fpquant eval` stops with one line naming the file (exit 2), before any model is made.
/// </summary>
[Collection(CliCollection.Name)]
[Trait("Category", "Quick")]
public class BadDatasetTests : IClassFixture<SyntheticDatasetFixture>
{
    private readonly SyntheticDatasetFixture _ds;
    public BadDatasetTests(SyntheticDatasetFixture ds) { _ds = ds; }

    private static (int, string, string) Eval(string root, TempDir tmp, params string[] extra) =>
        CliHarness.Run(new[] { "eval", "--dataset", root, "--out", Path.Combine(tmp.Path, "out"), "--cache",
            Path.Combine(tmp.Path, "cache"), "--hypotheses", "16", "--iterations", "1" }.Concat(extra).ToArray());

    [Fact]
    public void MissingSceneGt_NamesTheFile()
    {
        using var tmp = new TempDir();
        string root = _ds.CopyTo(tmp);
        string gt = Path.Combine(root, "test", "000001", "scene_gt.json");
        File.Delete(gt);
        CliHarness.AssertOneLineError(Eval(root, tmp), gt);
    }

    [Fact]
    public void AnObjectWithNoModel_NamesTheModelsFile()
    {
        using var tmp = new TempDir();
        string root = _ds.CopyTo(tmp);
        string gt = Path.Combine(root, "test", "000001", "scene_gt.json");
        File.WriteAllText(gt, File.ReadAllText(gt).Replace("\"obj_id\": 2", "\"obj_id\": 7"));
        CliHarness.AssertOneLineError(Eval(root, tmp, "--all-instances"), "object 7",
            Path.Combine(root, "models", "models_info.json"));
    }

    [Fact]
    public void DepthOfAnotherSize_NamesTheDepthFile()
    {
        using var tmp = new TempDir();
        string root = _ds.CopyTo(tmp);
        string depth = Path.Combine(root, "test", "000001", "depth", "000001.png");
        Png.Write(depth, new PngImage(320, 240, 1, 16, new ushort[320 * 240]));
        CliHarness.AssertOneLineError(Eval(root, tmp), depth, "320x240");
    }

    [Fact]
    public void ACorruptJpeg_NamesTheImage()
    {
        using var tmp = new TempDir();
        string root = _ds.CopyTo(tmp);
        string png = Path.Combine(root, "test", "000001", "rgb", "000001.png"), jpg = Path.ChangeExtension(png, ".jpg");
        var f =
            BopDataset.LoadFrame(BopDataset.Open(root).SelectInstances(new InstanceSelection { MaxInstances = 1 })[0]);
        BopDatasetTests.WriteJpeg(f.Rgb, f.Width, f.Height, jpg);
        File.Delete(png);
        var bytes = File.ReadAllBytes(jpg);
        File.WriteAllBytes(jpg, bytes.AsSpan(0, bytes.Length / 3).ToArray()); // cut short
        CliHarness.AssertOneLineError(Eval(root, tmp), jpg);
        File.WriteAllBytes(jpg, new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5 }); // a header and nothing else
        CliHarness.AssertOneLineError(Eval(root, tmp), jpg);
    }

    [Fact]
    public void MakeDataset_AndEval_RejectBadOptions()
    {
        using var tmp = new TempDir();
        CliHarness.AssertOneLineError(CliHarness.Run("make-dataset", "--out", tmp.File("d"), "--images", "0"),
            "--images");
        CliHarness.AssertOneLineError(Eval(tmp.File("nowhere"), tmp), "nowhere");
        CliHarness.AssertOneLineError(Eval(_ds.Root, tmp, "--scenes", "1,x"), "--scenes");
        CliHarness.AssertOneLineError(Eval(_ds.Root, tmp, "--min-visible", "1.5"), "--min-visible");
        CliHarness.AssertOneLineError(Eval(_ds.Root, tmp, "--variants", "nope"), "nope");
    }

    [Fact]
    public void MakeDataset_WritesADatasetFromTheCli()
    {
        using var tmp = new TempDir();
        var r = CliHarness.Run("make-dataset", "--out", tmp.File("d"), "--images", "1", "--seed", "3");
        Assert.Equal(0, r.Code);
        Assert.Contains("wrote 1 image(s)", r.Out);
        Assert.Equal(2, BopDataset.Open(tmp.File("d")).SelectInstances(new InstanceSelection { MinVisible = 0 }).Count);
    }
}
