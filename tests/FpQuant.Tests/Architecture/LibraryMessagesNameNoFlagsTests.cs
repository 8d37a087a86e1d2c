using System.Text.RegularExpressions;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Architecture;

/// <summary>
/// The library speaks in its own names: no string literal in src/FpQuant.Quantization or src/FpQuant.FoundationPose
/// (messages, warnings, notes written into reports) names a CLI flag. A C# caller who set HistogramBins reads
/// "HistogramBins", not "--bins"; the CLI turns the library's names into its flags (src/FpQuant.Cli/CliFlags.cs).
/// </summary>
[Trait("Category", "Quick")]
public class LibraryMessagesNameNoFlagsTests
{
    private static readonly string[] Packages = { "FpQuant.Quantization", "FpQuant.FoundationPose" };

    /// <summary>A word starting with two dashes and a letter: how every flag of the CLI is spelled.</summary>
    private static readonly Regex Flag = new(@"(?<![\w-])--[a-z][a-z0-9-]*", RegexOptions.Compiled);

    internal static IEnumerable<(string File, string Text, string Flag)> FlagsInLiterals(string package)
    {
        var root = Path.Combine(TestPaths.RepoRoot, "src", package);
        var paths = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var rel = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (rel.StartsWith("bin/", StringComparison.Ordinal) || rel.StartsWith("obj/", StringComparison.Ordinal))
                continue;
            var texts = new List<string>();
            LayerDependencyTests.StripCommentsAndText(File.ReadAllText(path), texts);
            foreach (var text in texts)
                foreach (Match m in Flag.Matches(text))
                    yield return ($"{package}/{rel}", text, m.Value);
        }
    }

    [Fact]
    public void No_library_string_literal_names_a_cli_flag()
    {
        var found = Packages.SelectMany(FlagsInLiterals).Select(f => $"{f.File}: {f.Flag} in \"{f.Text}\"").ToList();
        Assert.True(found.Count == 0, $"{found.Count} library string(s) name CLI flags; name the option property or " +
            "the value instead, and map it to the flag in src/FpQuant.Cli/CliFlags.cs:\n" + string.Join("\n", found));
    }

    [Fact]
    public void Scanner_finds_flags_in_literals_but_not_in_comments()
    {
        var texts = new List<string>();
        LayerDependencyTests.StripCommentsAndText(""""
            // a comment naming --bins
            /* and --percentile */
            var a = $"--quantized-bins {x} and {(y ? "--smooth" : "")}";
            var b = @"verbatim --mode ""q""";
            var c = "a-b --c-d";
            """", texts);
        var flags = texts.SelectMany(t => Flag.Matches(t).Select(m => m.Value)).ToList();
        Assert.Equal(new[] { "--c-d", "--mode", "--quantized-bins", "--smooth" }, flags.Order(StringComparer.Ordinal));
    }
}
