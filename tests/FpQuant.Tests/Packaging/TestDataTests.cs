using System.Security.Cryptography;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Packaging;

/// <summary>
/// The suite is self-contained: its data is in tests/data, intact, and no test reaches outside the repository.
/// </summary>
[Trait("Category", "Quick")]
public class TestDataTests
{
    [Fact]
    public void EveryListedDataFile_IsPresentAndIntact()
    {
        var lines = File.ReadAllLines(TestPaths.Data("SHA256SUMS")).Where(l => l.Length > 0).ToList();
        Assert.True(lines.Count >= 20, $"{lines.Count} entries");
        foreach (var line in lines)
        {
            string hash = line[..64], rel = line[66..];
            string path = TestPaths.Data(rel.Split('/'));
            Assert.True(File.Exists(path), $"{rel} is missing from tests/data");
            using var s = File.OpenRead(path);
            Assert.True(Convert.ToHexStringLower(SHA256.HashData(s)) == hash,
                $"{rel} differs from its SHA256SUMS entry (line endings changed?)");
        }
    }

    [Fact]
    public void NoTestReadsOutsideTheRepository()
    {
        // The old layout read a folder beside the checkout, which a bare clone does not have.
        string word = "sha" + "red";
        string[] forbidden = { $"\"{word}\"", "FPQUANT_" + word.ToUpperInvariant(), $"../{word}", $"..\\\\{word}" };
        string testsDir = Path.Combine(TestPaths.RepoRoot, "tests");
        var offenders = Directory.GetFiles(testsDir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Where(f => forbidden.Any(File.ReadAllText(f).Contains))
            .Select(f => Path.GetRelativePath(TestPaths.RepoRoot, f)).ToList();
        Assert.Empty(offenders);
    }
}
