using System.Text.RegularExpressions;
using FpQuant.Cli;
using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Pipeline;
using FpQuant.Quantization;
using FpQuant.Tests.Architecture;
using FpQuant.Tests.Support;
using FpQuant.Training;

namespace FpQuant.Tests.Cli;

/// <summary>
/// The library names its own options and the CLI names its flags: a C# caller who sets HistogramBins = 8 reads
/// "HistogramBins", a CLI user who types --bins 8 reads "--bins" (the CLI's map, <see cref="CliFlags"/>).
/// </summary>
[Trait("Category", "Quick")]
public class CliFlagsTests
{
    private static string Message(Action act) => Assert.Throws<FpQuantException>(act).Message;

    [Fact]
    public void Library_option_errors_name_the_property_and_the_value()
    {
        var cases = new (Action Act, string Expected)[]
        {
            (() => new QuantizationOptions { HistogramBins = 8 }.Validate(),
                "HistogramBins must be at least 16, got 8"),
            (() => new QuantizationOptions { QuantizedBins = 4096 }.Validate(),
                "QuantizedBins must be between 2 and HistogramBins (2048), got 4096"),
            (() => new QuantizationOptions { Percentile = 0 }.Validate(), "Percentile must be in (0, 100], got 0"),
            (() => new QuantizationOptions { SmoothingAlpha = 2 }.Validate(),
                "SmoothingAlpha must be in [0, 1], got 2"),
            (() => new QuantizationOptions { Mode = QuantMode.Dynamic, ActivationType = QuantType.S8 }.Validate(),
                "ActivationType must be U8"),
            (() => new ImageOptions { Std = new[] { 1f, 0f, 1f } }.Check(), "ImageOptions.Std values must be positive"),
            (() => new FirstFrameSettings { Hypotheses = 0 }.Validate(), "Hypotheses must be between 1 and 252, got 0"),
            (() => new TrackSettings { Iterations = 0 }.Validate(),
                "TrackSettings.Iterations must be between 1 and 100, got 0"),
            (() => new CropSetOptions { Group = 0 }.Validate(), "Group must be between 1 and 1024, got 0"),
        };
        foreach (var (act, expected) in cases)
        {
            var m = Message(act);
            Assert.StartsWith(expected, m);
            Assert.DoesNotMatch(@"(?<![\w-])--[a-z]", m);
        }
    }

    [Fact]
    public void Words_map_library_names_to_the_flags_the_verb_has()
    {
        var quantize = new HashSet<string> { "--bins", "--quantized-bins", "--exclude" };
        Assert.Equal("--quantized-bins must be between 2 and --bins (2048), got 1",
            CliFlags.Words("QuantizedBins must be between 2 and HistogramBins (2048), got 1", quantize));
        Assert.Equal("keep it float with --exclude 'probs'",
            CliFlags.Words("keep it float with Exclude 'probs'", quantize));
        // A verb without the flag keeps the library's name rather than naming a flag it does not have.
        Assert.Equal("HistogramBins must be at least 16, got 8",
            CliFlags.Words("HistogramBins must be at least 16, got 8", new HashSet<string>()));
        // The qualified name wins over the bare one; neither touches a longer identifier or a lower-case word.
        var track = new HashSet<string> { "--iterations", "--track-iterations" };
        Assert.Equal("--track-iterations must be between 1 and 100",
            CliFlags.Words("TrackSettings.Iterations must be between 1 and 100", track));
        Assert.Equal("--iterations must be 0 or more; MaxIterations and iterations stay",
            CliFlags.Words("Iterations must be 0 or more; MaxIterations and iterations stay", track));
        // Lower-case names (a method's parameter) are rewritten only where the message starts.
        var video = new HashSet<string> { "--frames" };
        Assert.Equal("--frames must be between 2 and 600; the frames are kept",
            CliFlags.Words("frames must be between 2 and 600; the frames are kept", video));
        // ... or after the flag the CLI put in front of a library message (an input spec's error names --calibration).
        Assert.Equal("--calibration --calibration-batch must be positive, got 0",
            CliFlags.Words("--calibration batchSize must be positive, got 0",
                new HashSet<string> { "--calibration", "--calibration-batch" }));
    }

    /// <summary>The map and the code stay in step: every flag is one the CLI declares, every name one the library's
    /// text uses, and no name is given twice for one flag's verb to choose between.</summary>
    [Fact]
    public void Map_names_real_flags_and_names_the_library_uses()
    {
        string obj = $"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}";
        var cli = string.Join("\n", Directory
            .EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "src", "FpQuant.Cli"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(obj, StringComparison.Ordinal))
            .Where(f => !f.EndsWith("CliFlags.cs", StringComparison.Ordinal)).Select(File.ReadAllText));
        var library = new List<string>();
        foreach (var package in new[] { "FpQuant.Quantization", "FpQuant.FoundationPose" })
            foreach (var f in Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "src", package), "*.cs",
                SearchOption.AllDirectories))
                LayerDependencyTests.StripCommentsAndText(File.ReadAllText(f), library);
        var text = string.Join("\n", library);
        foreach (var (name, flag) in CliFlags.Map)
        {
            Assert.True(cli.Contains($"\"{flag}\"", StringComparison.Ordinal),
                $"{flag} (for {name}) is no flag of the CLI");
            Assert.True(Regex.IsMatch(text, $@"(?<![\w.]){Regex.Escape(name)}(?![\w])"),
                $"no library text names {name} (mapped to {flag})");
        }
        var twice = CliFlags.Map.GroupBy(e => e.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, "mapped twice: " + string.Join(", ", twice));
    }
}
