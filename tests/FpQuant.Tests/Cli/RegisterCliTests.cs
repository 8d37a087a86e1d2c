using System.Text.Json;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Cli;

/// <summary>Both networks exported once for the register CLI tests (synthetic weights, seed 0).</summary>
public sealed class RegisterModels : IDisposable
{
    private readonly TempDir _dir = new();
    public string Refine { get; }
    public string Score { get; }

    public RegisterModels()
    {
        Refine = _dir.File("refine.onnx");
        Score = _dir.File("score.onnx");
        NetworkExport.Export(NetworkKind.Refine, "synthetic:0", ModelLayout.Nchw, Refine);
        NetworkExport.Export(NetworkKind.Score, "synthetic:0", ModelLayout.Isaac, Score);
    }

    public void Dispose() => _dir.Dispose();
}

[Collection(CliCollection.Name)]
[Trait("Category", "Heavy")]
public class RegisterCliTests : IClassFixture<RegisterModels>
{
    private readonly RegisterModels _m;
    public RegisterCliTests(RegisterModels m) { _m = m; }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private static void AssertOneLineError((int Code, string Out, string Err) r, params string[] mustContain) =>
        CliHarness.AssertOneLineError(r, mustContain);

    private string[] Small(params string[] extra) =>
        new[] { "--hypotheses", "3", "--iterations", "1", "--refine-batch", "2", "--model", _m.Refine, "--model",
            _m.Score, "--threads", "2" }.Concat(extra).ToArray();

    [Fact]
    public void WriteDemo_ThenTheSameFilesByName_GiveTheSamePose_AndAnOverlay()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("scene");
        var a = Run(new[] { "register", "--write-demo",
            dir }.Concat(Small("--json", tmp.File("a.json"), "--overlay", tmp.File("o.png"))).ToArray());
        Assert.True(a.Code == 0, a.Err);
        Assert.Contains("pose (object in camera", a.Out);
        Assert.Contains("render", a.Out);
        foreach (var f in new[] { "rgb.png", "depth.png", "mask.png", "cam_K.txt", "mesh.obj", "mesh.mtl", "mesh.png" })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        var b = Run(new[] { "register", "--rgb", Path.Combine(dir, "rgb.png"), "--depth",
            Path.Combine(dir, "depth.png"), "--mask", Path.Combine(dir, "mask.png"),
            "--K", Path.Combine(dir, "cam_K.txt"), "--mesh",
            Path.Combine(dir, "mesh.obj") }.Concat(Small("--json", tmp.File("b.json"))).ToArray());
        Assert.True(b.Code == 0, b.Err);
        var ja = JsonDocument.Parse(File.ReadAllText(tmp.File("a.json"))).RootElement;
        var jb = JsonDocument.Parse(File.ReadAllText(tmp.File("b.json"))).RootElement;
        Assert.Equal(ja.GetProperty("pose").ToString(), jb.GetProperty("pose").ToString());
        Assert.Equal(3, ja.GetProperty("scores").GetArrayLength());
        // The written folder carries its true pose, so register measures against it; frames given by name have none.
        Assert.Contains("against the true pose: rotation error", a.Out);
        Assert.True(ja.GetProperty("truthError").GetProperty("Chosen").GetProperty("AddMm").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, jb.GetProperty("truthError").ValueKind);
        Assert.True(ja.GetProperty("stages").GetProperty("render").GetDouble() > 0);
        var overlay = Png.Read(tmp.File("o.png"));
        Assert.Equal((640, 480, 3), (overlay.Width, overlay.Height, overlay.Channels));
        // The overlay differs from the frame (the mesh is drawn), but not everywhere.
        var frame = Png.Read(Path.Combine(dir, "rgb.png"));
        int changed = Enumerable.Range(0, frame.Samples.Length).Count(i => frame.Samples[i] != overlay.Samples[i]);
        Assert.InRange(changed, 100, frame.Samples.Length / 2);
    }

    [Fact]
    public void BadInputs_AreOneLineErrors()
    {
        using var tmp = new TempDir();
        string dir = tmp.File("scene");
        DemoScene.Save(dir);
        string[] Frame(string rgb, string depth, string mask, string mesh) =>
            new[] { "register", "--rgb", rgb, "--depth", depth, "--mask", mask, "--K", Path.Combine(dir, "cam_K.txt"),
                "--mesh", mesh }.Concat(Small()).ToArray();
        string P(string f) => Path.Combine(dir, f);
        // A mask with no pixels.
        Png.Write(tmp.File("empty.png"), new PngImage(640, 480, 1, 8, new ushort[640 * 480]));
        AssertOneLineError(Run(Frame(P("rgb.png"), P("depth.png"), tmp.File("empty.png"), P("mesh.obj"))), "empty.png",
            "no pixels");
        // Depth with no valid pixel inside the mask.
        Png.Write(tmp.File("zero-depth.png"), new PngImage(640, 480, 1, 16, new ushort[640 * 480]));
        AssertOneLineError(Run(Frame(P("rgb.png"), tmp.File("zero-depth.png"), P("mask.png"), P("mesh.obj"))),
            "zero-depth.png", "no valid pixel");
        // A mesh that does not parse.
        File.WriteAllText(tmp.File("broken.obj"), "v 0 0 0\nf 1 2 3\n");
        AssertOneLineError(Run(Frame(P("rgb.png"), P("depth.png"), P("mask.png"), tmp.File("broken.obj"))),
            "broken.obj", "line 2");
        // Images of mismatched sizes.
        Png.Write(tmp.File("small.png"), new PngImage(320, 240, 1, 8, new ushort[320 * 240]));
        AssertOneLineError(Run(Frame(P("rgb.png"), P("depth.png"), tmp.File("small.png"), P("mesh.obj"))), "small.png",
            "320x240", "640x480");
        // Inputs given twice or half.
        AssertOneLineError(Run("register", "--demo", "--scene", dir), "--demo");
        AssertOneLineError(Run("register", "--rgb", P("rgb.png")), "--depth", "--mask");
        AssertOneLineError(Run(new[] { "register", "--demo", "--model", _m.Refine, "--model", _m.Refine }),
            "both refine models");
    }

    [Fact]
    public void Quantize_CalibratesOnSceneCrops()
    {
        using var tmp = new TempDir();
        var r = Run("quantize", "--model", _m.Score, "--preset", "onnx-static", "--calibration", "scene:demo:4",
            "--out", tmp.File("q.onnx"));
        Assert.True(r.Code == 0, r.Err);
        var sidecar = File.ReadAllText(tmp.File("q.json"));
        Assert.Contains("crops of the built-in demo scene: 4 pairs", sidecar);
        AssertOneLineError(Run("quantize", "--model", _m.Score, "--preset", "onnx-static", "--calibration",
            "scene:" + tmp.File("nowhere"), "--out", tmp.File("x.onnx")), "nowhere", "does not exist");
    }
}
