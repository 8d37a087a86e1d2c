using System.IO.Compression;
using System.Text.RegularExpressions;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Packaging;

/// <summary>
/// samples/QuantizeModel, as a user meets it: built against the FpQuant.Quantization package packed from a copy of
/// the sources (the only FpQuant package its nuget.config can see), run on a tiny model with npy samples, and its
/// model loaded and run by ONNX Runtime. Slow (a pack and a restore), so it carries the Install trait.
/// </summary>
[Trait("Category", "Install")]
public class QuantizeSampleTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    [Fact]
    public void Sample_BuiltAgainstThePackedPackage_QuantizesAModelWithNpySamples()
    {
        using var tmp = new TempDir();
        var feed = new LocalFeed(tmp);
        feed.Pack("FpQuant.Quantization");

        // The package carries the XML docs IntelliSense shows.
        using (var zip = ZipFile.OpenRead(feed.Package("FpQuant.Quantization")))
            Assert.Contains(zip.Entries, e => e.FullName == "lib/net10.0/FpQuant.Quantization.xml");

        // The sample alone, outside the checkout; packages from the packed folder and this machine's cache only,
        // restored into a fresh folder so that no earlier FpQuant.Quantization of the same version is picked up.
        string dll = feed.BuildSample("QuantizeModel", tmp.File("sample"));
        Assert.True(Directory.Exists(Path.Combine(feed.PackageCache, "fpquant.quantization", feed.Version)));

        // A tiny real model and 16 samples of its input.
        string work = tmp.File("work");
        Directory.CreateDirectory(Path.Combine(work, "calib"));
        OnnxModelFile.Save(TinyModels.Conv(relu: true), Path.Combine(work, "model.onnx"));
        NpyFile.Write(Path.Combine(work, "calib", "X.npy"), (InputTensor)TinyModels.Random(5, 1f, 16, 3, 8, 8));
        var run = ProcessRunner.Run(ProcessRunner.Dotnet, new[] { dll, "model.onnx", "model.int8.onnx", "calib" },
            work, Long);
        Assert.True(run.Code == 0, run.ToString());
        Assert.Contains("wrote model.int8.onnx", run.Out);

        string quantized = Path.Combine(work, "model.int8.onnx");
        Assert.True(File.Exists(Path.ChangeExtension(quantized, ".json")));
        Assert.Contains(OnnxModelFile.Load(quantized).Graph.Node, n => n.OpType == "QuantizeLinear");
        using var runner = new ModelRunner(quantized, new RuntimeSettings { IntraOpThreads = 1 });
        var y =
            runner.Run(new Dictionary<string, InputTensor> { ["X"] = TinyModels.Random(6, 1f, 2, 3, 8, 8) }).Single();
        Assert.Equal(new[] { 2, 4, 8, 8 }, y.Value.Shape);

        // A user error: the sample prints the library's one line and exits 2.
        var missing =
            ProcessRunner.Run(ProcessRunner.Dotnet, new[] { dll, "missing.onnx", "x.onnx", "calib" }, work, Long);
        Assert.Equal(2, missing.Code);
        Assert.Contains("missing.onnx", missing.Err);
    }
}

/// <summary>README's "Use it from C#" snippets are the sample's code (its program, and the other calls it compiles),
/// so the README cannot drift from code that builds.</summary>
[Trait("Category", "Quick")]
public class ReadmeSampleTests
{
    [Fact]
    public void ReadmeUseItFromCSharp_FirstSnippet_IsTheSamplesProgram()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")).Replace("\r\n", "\n");
        int section = readme.IndexOf("\n## Use it from C#\n", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has no '## Use it from C#' section");
        var block = Regex.Match(readme[section..], "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "the section has no ```csharp block");
        string program = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "samples", "QuantizeModel", "Program.cs"))
            .Replace("\r\n", "\n");
        Assert.Equal(program.TrimEnd().Split('\n'), block.Groups[1].Value.TrimEnd().Split('\n'));
    }

    [Fact]
    public void ReadmeUseItFromCSharp_SecondSnippet_IsTheCallsTheSampleCompiles()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")).Replace("\r\n", "\n");
        int section = readme.IndexOf("\n## Use it from C#\n", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has no '## Use it from C#' section");
        int next = readme.IndexOf("\n## ", section + 1, StringComparison.Ordinal);
        var blocks = Regex.Matches(readme[section..(next < 0 ? readme.Length : next)], "```csharp\n(.*?)```",
            RegexOptions.Singleline);
        Assert.True(blocks.Count >= 2, "the section has no second ```csharp block");
        // The body of OtherCalls.Show, less the method's indentation.
        var lines = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "samples", "QuantizeModel", "OtherCalls.cs"))
            .Replace("\r\n", "\n").Split('\n');
        int start = Array.FindIndex(lines, l => l.Contains(" static void Show(", StringComparison.Ordinal)) + 2;
        int end = Array.IndexOf(lines, "    }", start);
        Assert.True(start >= 2 && end > start, "OtherCalls.cs has no Show method");
        var body = lines[start..end].Select(l => l.Length >= 8 ? l[8..] : l.Trim());
        Assert.Equal(body, blocks[1].Groups[1].Value.TrimEnd().Split('\n'));
    }
}
