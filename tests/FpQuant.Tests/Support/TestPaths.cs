namespace FpQuant.Tests.Support;

/// <summary>Where the repository and ../shared (golden files, spec, meshes) are, from the test binary's folder.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Shared => Environment.GetEnvironmentVariable("FPQUANT_SHARED") is { Length: > 0 } s
        ? s : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string Golden(params string[] parts) => Path.Combine(new[] { Shared, "golden" }.Concat(parts).ToArray());

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "FpQuant.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository root (FpQuant.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder removed when the test ends; tests write nowhere else.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fpquant-tests-" + Guid.NewGuid().ToString("N"));
    public TempDir() { Directory.CreateDirectory(Path); }
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch { } }
}
