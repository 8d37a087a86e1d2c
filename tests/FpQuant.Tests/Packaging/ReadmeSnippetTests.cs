using FpQuant.Tests.Support;

namespace FpQuant.Tests.Packaging;

/// <summary>README's C# snippets are the samples' code, so what the README shows is what CI builds and
/// <see cref="RegisterSampleTests"/> runs.</summary>
[Trait("Category", "Quick")]
public class ReadmeSnippetTests
{
    [Fact]
    public void RegisterAnObject_IsTheRegisterObjectSample()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")).Replace("\r", "");
        string program = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "samples", "RegisterObject", "Program.cs"))
            .Replace("\r", "");
        int section = readme.IndexOf("\n### Register an object\n", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has no '### Register an object' section");
        int start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal);
        int next = readme.IndexOf("\n#", section + 1, StringComparison.Ordinal);
        Assert.True(start >= 0 && (next < 0 || start < next), "the section has no ```csharp block");
        start += "```csharp\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        Assert.Equal(program.TrimEnd(), readme[start..end].TrimEnd());
        // The library calls it makes: at most 10 lines, as the README promises a newcomer.
        int calls = program.Split('\n')
            .Count(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith("using FpQuant", StringComparison.Ordinal));
        Assert.InRange(calls, 1, 10);
    }
}
