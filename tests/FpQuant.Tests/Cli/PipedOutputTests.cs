using FpQuant.Cli;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Cli;

/// <summary>
/// What a user sees with `fpquant ... > log.txt` or `| tee`: the built CLI as a child process, stdout piped.
/// </summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class PipedOutputTests
{
    private readonly ExportedModels _models;
    public PipedOutputTests(ExportedModels models) { _models = models; }

    [Fact]
    public void PipedTable_IsPrintedAtFullWidth_WithoutColourCodes()
    {
        using var tmp = new TempDir();
        var r = ProcessRunner.RunBuiltCli(tmp.Path, "register", "--demo", "--hypotheses", "3", "--iterations", "1",
            "--refine-batch", "2",
            "--model", _models.Path(NetworkKind.Refine), "--model", _models.Path(NetworkKind.Score, ModelLayout.Isaac),
            "--threads", "2");
        Assert.True(r.Code == 0, r.ToString());
        var lines = r.Out.Split('\n');
        // The stage table's widest row, whole on one line with its border, wider than the 80 columns once assumed.
        string row = Assert.Single(lines, l => l.Contains("render ") && l.Contains("hypotheses x"));
        Assert.Contains("3 hypotheses x (1 refine iteration(s) + scoring) rendered into 160x160 windows", row);
        Assert.True(row.TrimEnd().Length > 80, row);
        Assert.StartsWith("│", row.TrimStart());
        Assert.EndsWith("│", row.TrimEnd());
        // Every table line is as wide as the table, not padded to a console width.
        var table = lines.Where(l => l.TrimStart().StartsWith("│") || l.TrimStart().StartsWith("╭")
            || l.TrimStart().StartsWith("╰")).ToList();
        Assert.True(table.Count >= 13, r.Out);
        Assert.Single(table.Select(l => l.TrimEnd().Length).Distinct());
        Assert.DoesNotContain("\u001b[", r.Out);
    }

    [Fact]
    public void Errors_AreOneLineEndingInANewline()
    {
        using var tmp = new TempDir();
        foreach (var args in new[] { new[] { "inspect", "missing.pth" },
            new[] { "export", "--net", "nope", "--out", "x.onnx" }, new[] { "--no-such-option" } })
        {
            var r = ProcessRunner.RunBuiltCli(tmp.Path, args);
            Assert.True(r.Code == 2, r.ToString());
            Assert.EndsWith("\n", r.Err);
            var line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("fpquant: error: ", line);
        }
    }

    [Fact]
    public void ErrorText_IsFlattenedToOneLine_AndCapped()
    {
        Assert.Equal("bad JSON: line 1; line 2; end", CliConsole.OneLine("bad JSON: line 1\r\nline 2\n\n  end\n"));
        Assert.Equal("a b", CliConsole.OneLine("a\tb\u0007"));
        string huge = CliConsole.OneLine("x" + new string('k', 100_000));
        Assert.True(huge.Length <= CliConsole.MaxErrorLength + 20, huge.Length.ToString());
        Assert.EndsWith("(cut)", huge);
    }
}
