using System.IO.Compression;
using System.Xml.Linq;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Packaging;

/// <summary>
/// The repository's packages as a user gets them, for the Install tests: the sources copied into a temporary folder
/// (so the solution's own build outputs are untouched), packed into a folder that then serves as a NuGet source, and
/// what is built or installed from it restored into a fresh package cache, so no earlier FpQuant package of the same
/// version is reused.
/// </summary>
internal sealed class LocalFeed
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    private readonly string _sources;
    private bool _built;

    /// <summary>The folder the packages are packed into.</summary>
    public string Folder { get; }

    /// <summary>The repository's version: every package's.</summary>
    public string Version { get; } = RepoVersion();

    /// <summary>The fresh package cache restores go to (NUGET_PACKAGES for the child processes).</summary>
    public string PackageCache { get; }

    /// <summary>The sources copied into <paramref name="tmp"/>; nothing packed yet.</summary>
    public LocalFeed(TempDir tmp)
    {
        _sources = tmp.File("src");
        CopySources(_sources);
        Folder = tmp.File("nupkg");
        PackageCache = tmp.File("nuget-packages");
    }

    /// <summary>The environment that sends a child's restore to <see cref="PackageCache"/>.</summary>
    public Dictionary<string, string> FreshCache => new() { ["NUGET_PACKAGES"] = PackageCache };

    /// <summary>
    /// Packs src/<paramref name="project"/> into <see cref="Folder"/>. The first pack builds (everything the project
    /// references too); later ones reuse that build.
    /// </summary>
    public void Pack(string project, params string[] properties)
    {
        var args = new List<string> { "pack", $"src/{project}/{project}.csproj", "-c", "Release", "-o", Folder,
            "--disable-build-servers" };
        if (_built) args.AddRange(["--no-build", "--no-restore"]);
        args.AddRange(properties);
        var pack = ProcessRunner.Run(ProcessRunner.Dotnet, args, _sources, Long);
        Assert.True(pack.Code == 0, pack.ToString());
        _built = true;
    }

    /// <summary>The packed .nupkg of package <paramref name="id"/>.</summary>
    public string Package(string id) => Path.Combine(Folder, $"{id}.{Version}.nupkg");

    /// <summary>
    /// A nuget.config at <paramref name="path"/> whose only sources are <see cref="Folder"/> and, when asked, the
    /// packages this machine already has (read as a local feed: nothing is downloaded).
    /// </summary>
    public string WriteNuGetConfig(string path, bool withMachinePackages)
    {
        string machine = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string machineSource = withMachinePackages ? $"<add key=\"machine\" value=\"{machine}\" />" : "";
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear />
              <add key="packed" value="{Folder}" />{machineSource}
            </packageSources></configuration>
            """);
        return path;
    }

    /// <summary>
    /// samples/<paramref name="sample"/> copied alone into <paramref name="folder"/> and built there with
    /// -p:UsePackages=true against the packed packages of <see cref="Version"/> (everything else from this machine's
    /// packages), into <paramref name="folder"/>/out.
    /// </summary>
    /// <returns>The sample's built dll.</returns>
    public string BuildSample(string sample, string folder)
    {
        CopyTree(Path.Combine(TestPaths.RepoRoot, "samples", sample), folder);
        WriteNuGetConfig(Path.Combine(folder, "nuget.config"), withMachinePackages: true);
        var build = ProcessRunner.Run(ProcessRunner.Dotnet, new[] { "build", "-c", "Release", "-o", "out",
            "-p:UsePackages=true", $"-p:Version={Version}", "--disable-build-servers" }, folder, Long, FreshCache);
        Assert.True(build.Code == 0, build.ToString());
        return Path.Combine(folder, "out", sample + ".dll");
    }

    /// <summary>What `dotnet pack` needs: the product projects and the files at the root they use.</summary>
    private static void CopySources(string dest)
    {
        string root = TestPaths.RepoRoot;
        Directory.CreateDirectory(dest);
        foreach (var f in Directory.GetFiles(root))
        {
            string name = Path.GetFileName(f);
            if (name.EndsWith(".props") || name.EndsWith(".targets") || name == ".editorconfig" || name is "README.md"
                or "LICENSE" or "global.json"
                || name.Equals("nuget.config", StringComparison.OrdinalIgnoreCase))
                File.Copy(f, Path.Combine(dest, name));
        }
        // src/'s own props (the analyzers, the library packages' shared settings) and every project under it.
        Directory.CreateDirectory(Path.Combine(dest, "src"));
        foreach (var f in Directory.GetFiles(Path.Combine(root, "src")))
            File.Copy(f, Path.Combine(dest, "src", Path.GetFileName(f)));
        foreach (var project in Directory.GetDirectories(Path.Combine(root, "src")))
            CopyTree(project, Path.Combine(dest, "src", Path.GetFileName(project)));
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from))
            if (Path.GetFileName(d) is not ("bin" or "obj")) CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
    }

    private static string RepoVersion() =>
        XDocument.Load(Path.Combine(TestPaths.RepoRoot, "Directory.Build.props")).Descendants("Version").Single()
            .Value.Trim();

    internal sealed record PackageInfo(XElement Metadata, List<string> Entries)
    {
        public string Meta(string name) =>
            Metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value.Trim() ?? "";
        /// <summary>The metadata as XML text (dependencies included).</summary>
        public string Xml => Metadata.ToString();
    }

    /// <summary>The packed package <paramref name="id"/>'s metadata and entries.</summary>
    public PackageInfo Nuspec(string id)
    {
        string nupkg = Package(id);
        Assert.True(File.Exists(nupkg), $"{nupkg} was not made");
        using var zip = ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        var spec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec"));
        using var s = spec.Open();
        var doc = XDocument.Load(s);
        return new PackageInfo(doc.Root!.Elements().Single(e => e.Name.LocalName == "metadata"), entries);
    }
}
