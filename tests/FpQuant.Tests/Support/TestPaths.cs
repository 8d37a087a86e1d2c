namespace FpQuant.Tests.Support;

/// <summary>Where the repository and its test data (tests/data: golden files, meshes) are, from the test binary's
/// folder. Tests read nothing outside the repository, so a bare clone passes them.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>
    /// tests/data, where every file a test reads lives (see tests/data/README.md for where each came from).
    /// </summary>
    public static string DataRoot => Path.Combine(RepoRoot, "tests", "data");

    /// <summary>A file or folder under tests/data, e.g. Data("golden", "checkpoints", "manifest.json").</summary>
    public static string Data(params string[] parts) => Path.Combine(new[] { DataRoot }.Concat(parts).ToArray());

    /// <summary>PyTorch reference outputs and checkpoints: tests/data/golden/...</summary>
    public static string Golden(params string[] parts) => Data(new[] { "golden" }.Concat(parts).ToArray());

    /// <summary>Meshes: tests/data/meshes/...</summary>
    public static string Meshes(params string[] parts) => Data(new[] { "meshes" }.Concat(parts).ToArray());

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "FpQuant.sln"))) return d.FullName;
        throw new InvalidOperationException(
            "cannot find the repository root (FpQuant.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder removed when the test ends; tests write nowhere else.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } =
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fpquant-tests-" + Guid.NewGuid().ToString("N"));
    public TempDir() { Directory.CreateDirectory(Path); }
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch { } }
}
