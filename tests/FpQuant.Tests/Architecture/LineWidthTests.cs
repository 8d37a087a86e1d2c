using FpQuant.Tests.Support;

namespace FpQuant.Tests.Architecture;

/// <summary>
/// No C# line in src/, tests/, samples/ or tools/ is wider than the .editorconfig's max_line_length (120). Lines over
/// it are wrapped by tools/LineWrap (`dotnet run --project tools/LineWrap -c Release -- src tests samples tools`); the
/// few it cannot break (one long token or interpolation hole) are listed below by file and the start of their text.
/// </summary>
[Trait("Category", "Quick")]
public class LineWidthTests
{
    private const int MaxWidth = 120;

    private static readonly string[] Folders = { "src", "tests", "samples", "tools" };

    /// <summary>
    /// Lines LineWrap leaves alone because no break fits (its report lists them): "path: start of the trimmed line".
    /// </summary>
    private static readonly string[] Unbreakable =
    {
        "src/FpQuant.Cli/Commands/MakeDatasetCommand.cs: $\"bottle visible {v.Instances.Where(",
        "src/FpQuant.Cli/Commands/QuantizeCommand.cs: ? $\"mixed quantization: {string.Join(",
        "src/FpQuant.Cli/Commands/QuantizeCommand.cs: : $\"{result.Options.Mode.ToString().ToLowerInvariant()} {(",
        "src/FpQuant.Cli/Commands/SensitivityCommands.cs: $\"{(shown.Search is var f && b.Holds(",
        "src/FpQuant.Cli/Commands/SensitivityCommands.cs: $\"budget); {(r.Model != null ?",
        "src/FpQuant.FoundationPose/Checkpoints/TorchCheckpoint.cs: $\"checkpoint '{Path}' has no state_dict: its {",
        "src/FpQuant.FoundationPose/Datasets/BopWriter.cs: $\"{{\\\"axis\\\": {List(",
        "src/FpQuant.FoundationPose/Datasets/BopWriter.cs: $\"{{\\\"cam_R_m2c\\\": {List(",
        "src/FpQuant.FoundationPose/Datasets/BopWriter.cs: $\"  {{\\\"im_id\\\": {t.ImId}",
        "src/FpQuant.FoundationPose/Evaluation/EvalReportWriter.cs: \"variant,instances,estimated,",
        "src/FpQuant.FoundationPose/Evaluation/EvalReportWriter.cs: $\"{Csv(v.Name)},{v.Instances},",
        "src/FpQuant.FoundationPose/Evaluation/EvalReportWriter.cs: $\"{x.SceneId},{x.ImId},{x.ObjId},",
        "src/FpQuant.FoundationPose/Evaluation/EvalSettings.cs: $\"crop ratios {Registration.Crops.",
        "src/FpQuant.Quantization/Quantization/Calibration/ModelInput.cs: $\"{TypeName} [{string.Join(",
        "src/FpQuant.Quantization/Runtime/ModelInference.cs: $\"{OrtElementTypes.Name(meta.ElementDataType)} [",
        "tests/FpQuant.Tests/Architecture/LayerDependencyTests.cs: class A { string s = \"Benchmark.Summary",
        "tests/FpQuant.Tests/Corpus/OnnxBackendCorpusTests.cs: $\"  infer refused x{g.Count()}: {g.Key} (e.g. {",
        "tests/FpQuant.Tests/Corpus/OnnxBackendCorpusTests.cs: $\"  refused x{g.Count()}: {g.Key} (e.g. {",
        "tests/FpQuant.Tests/Pipeline/RegistrationTests.cs: $\"refine={TestPaths.Golden(",
    };

    [Fact]
    public void No_line_is_wider_than_the_editorconfig_allows()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var tooWide = new List<string>();
        foreach (var (file, number, line) in CSharpLines())
        {
            if (line.Length <= MaxWidth)
            {
                continue;
            }

            var trimmed = line.TrimStart();
            var allowed = Unbreakable.FirstOrDefault(entry =>
                entry.StartsWith(file + ": ", StringComparison.Ordinal) &&
                trimmed.StartsWith(entry[(file.Length + 2)..], StringComparison.Ordinal));
            if (allowed is null)
            {
                tooWide.Add($"{file}:{number}: {line.Length} columns");
            }
            else
            {
                used.Add(allowed);
            }
        }

        Assert.True(tooWide.Count == 0,
            $"{tooWide.Count} line(s) wider than {MaxWidth} columns; wrap them (dotnet run --project tools/LineWrap " +
            $"-c Release -- src tests samples tools):\n" + string.Join("\n", tooWide));
        var stale = Unbreakable.Where(entry => !used.Contains(entry)).ToList();
        Assert.True(stale.Count == 0,
            "allow-list entries that match no line over the width any more; remove them:\n" + string.Join("\n", stale));
    }

    [Fact]
    public void The_editorconfig_sets_the_width_this_test_checks()
    {
        var editorConfig = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, ".editorconfig"));
        Assert.Contains($"max_line_length = {MaxWidth}", editorConfig.Select(l => l.Trim()));
    }

    /// <summary>
    /// Every line of every *.cs file under the checked folders (bin/ and obj/ skipped), paths with '/'.
    /// </summary>
    private static IEnumerable<(string File, int Number, string Line)> CSharpLines()
    {
        foreach (var folder in Folders)
        {
            var root = Path.Combine(TestPaths.RepoRoot, folder);
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(TestPaths.RepoRoot, path).Replace('\\', '/');
                if (relative.Split('/').Any(part => part is "bin" or "obj"))
                {
                    continue;
                }

                var lines = File.ReadAllLines(path);
                for (var i = 0; i < lines.Length; i++)
                {
                    yield return (relative, i + 1, lines[i]);
                }
            }
        }
    }
}
