using System.Runtime.InteropServices;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Packaging;

/// <summary>
/// The README's install path, end to end: the sources are copied to a temp folder (so the solution's own build
/// outputs are untouched), packed, the tool installed into a temporary --tool-path from that folder alone, and run from
/// yet another folder. Slow (a build from scratch), so it carries a trait: --filter "Category!=Install" skips it.
/// </summary>
[Trait("Category", "Install")]
public class ToolPackageTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    [Fact]
    public void Pack_InstallToToolPath_AndRunFromAnotherFolder()
    {
        using var tmp = new TempDir();
        var feed = new LocalFeed(tmp);
        string version = feed.Version;

        // This machine's platform only, to keep the package (and the test) small; the README's pack has them all.
        string rid = RuntimeInformation.RuntimeIdentifier;
        string natives = $"{rid};{rid.Split('-')[0]}";
        feed.Pack("FpQuant.Cli", $"-p:ToolNativeRuntimes={natives.Replace(";", "%3B")}");
        feed.Pack("FpQuant.Quantization");
        feed.Pack("FpQuant.FoundationPose");

        // The three packages, with their metadata and the README inside.
        var tool = feed.Nuspec("FpQuant.Cli");
        var quantization = feed.Nuspec("FpQuant.Quantization");
        var foundationPose = feed.Nuspec("FpQuant.FoundationPose");
        foreach (var (n, id) in new[] { (tool, "FpQuant.Cli"), (quantization, "FpQuant.Quantization"),
            (foundationPose, "FpQuant.FoundationPose") })
        {
            Assert.Equal(id, n.Meta("id"));
            Assert.Equal(version, n.Meta("version"));
            Assert.Equal("MIT", n.Meta("license"));
            Assert.Equal("README.md", n.Meta("readme"));
            Assert.True(n.Meta("description").Length > 40, n.Meta("description"));
            Assert.Contains("README.md", n.Entries);
        }
        Assert.Contains(tool.Entries, e => e.EndsWith("DotnetToolSettings.xml"));
        Assert.Contains(tool.Entries, e => e.EndsWith("/FpQuant.Quantization.dll"));
        Assert.Contains(tool.Entries, e => e.EndsWith("/FpQuant.FoundationPose.dll"));
        Assert.Contains(tool.Entries, e => e.Contains($"runtimes/{rid}/native/"));
        Assert.DoesNotContain(tool.Entries, e => e.Contains("runtimes/android/") || e.Contains("runtimes/ios/"));
        Assert.Contains(quantization.Entries, e => e.EndsWith("lib/net10.0/FpQuant.Quantization.dll"));
        Assert.Contains(foundationPose.Entries, e => e.EndsWith("lib/net10.0/FpQuant.FoundationPose.dll"));
        // The FoundationPose package stands on the quantizer's; the quantizer's depends on nothing of FoundationPose.
        Assert.Contains("id=\"FpQuant.Quantization\"", foundationPose.Xml);
        Assert.DoesNotContain("FpQuant.FoundationPose", quantization.Xml);

        // Install from the folder alone (a config with only that source), into a temporary tool path.
        string config = feed.WriteNuGetConfig(tmp.File("nuget.config"), withMachinePackages: false);
        string tools = tmp.File("tools");
        var install = ProcessRunner.Run(ProcessRunner.Dotnet,
            new[] { "tool", "install", "--tool-path", tools, "--configfile", config,
            "--version", version, "FpQuant.Cli" }, tmp.Path, Long, feed.FreshCache);
        Assert.True(install.Code == 0, install.ToString());
        string fpquant =
            Path.Combine(tools, RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "fpquant.exe" : "fpquant");
        Assert.True(File.Exists(fpquant), fpquant);

        // From a folder that is neither the checkout nor the tool's.
        string work = tmp.File("elsewhere");
        Directory.CreateDirectory(work);
        var help = ProcessRunner.Run(fpquant, new[] { "--help" }, work, Long);
        Assert.True(help.Code == 0, help.ToString());
        foreach (var verb in new[] { "export", "infer", "quantize", "register", "bench", "inspect" })
            Assert.Contains(verb, help.Out);

        // inspect reads a real PyTorch checkpoint.
        var inspect = ProcessRunner.Run(fpquant,
            new[] { "inspect", TestPaths.Golden("checkpoints", "refinenet_compact.pth") }, work, Long);
        Assert.True(inspect.Code == 0, inspect.ToString());
        Assert.Contains("RefineNet (all 134 keys and shapes match", inspect.Out);

        // infer loads ONNX Runtime's native library from the package: the same numbers as the runtime the tests use.
        var model = TinyModels.Conv(relu: true);
        OnnxModelFile.Save(model, Path.Combine(work, "tiny.onnx"));
        var x = TinyModels.Random(7, 1f, 2, 3, 8, 8);
        RawTensorFile.Write(Path.Combine(work, "x.bin"), x.Data);
        var infer = ProcessRunner.Run(fpquant,
            new[] { "infer", "--model", "tiny.onnx", "--input", "X=x.bin", "--batch", "2", "--out", "out", "--threads",
                "1" }, work, Long);
        Assert.True(infer.Code == 0, infer.ToString());
        var got = RawTensorFile.ReadAll(Path.Combine(work, "out", "Y.bin"));
        var expected = TinyModels.Run(model, new() { ["X"] = x }, tmp.Path, "tiny").Single().Value;
        Assert.Equal(expected.Data, got);

        // A user error: one line on stderr, ending in a newline, exit 2.
        var bad = ProcessRunner.Run(fpquant, new[] { "inspect", "missing.pth" }, work, Long);
        Assert.Equal(2, bad.Code);
        Assert.EndsWith("\n", bad.Err);
        Assert.Single(bad.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
