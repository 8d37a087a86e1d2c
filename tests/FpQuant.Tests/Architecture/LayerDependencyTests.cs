using System.Text;
using System.Text.RegularExpressions;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Architecture;

/// <summary>
/// The library's layers (docs/ARCHITECTURE.md, table "Layers") hold in the code: every source file under
/// src/FpQuant.Quantization and src/FpQuant.FoundationPose uses only the folders its own folder may use. The rule is
/// read from the document, so the page and the test cannot drift apart.
/// </summary>
[Trait("Category", "Quick")]
public class LayerDependencyTests
{
    /// <summary>The two library packages, the generic one first: a folder of the generic package may use only folders
    /// of its own package (the project references enforce it too; the table must say the same).</summary>
    private static readonly string[] Packages = { "FpQuant.Quantization", "FpQuant.FoundationPose" };

    private static string PackageRoot(string package) => Path.Combine(TestPaths.RepoRoot, "src", package);

    /// <summary>Top-level folders with source files, per package.</summary>
    private static Dictionary<string, string> FolderPackages()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var package in Packages)
            foreach (var d in Directory.GetDirectories(PackageRoot(package)).Select(Path.GetFileName))
            {
                if (d is null or "bin" or "obj") continue;
                if (!Directory.EnumerateFiles(Path.Combine(PackageRoot(package), d), "*.cs",
                    SearchOption.AllDirectories).Any()) continue;
                Assert.False(map.ContainsKey(d),
                    $"folder '{d}' exists in both packages; a folder name is a namespace and must be unique");
                map[d] = package;
            }
        return map;
    }

    [Fact]
    public void No_source_file_uses_a_layer_its_folder_may_not_use()
    {
        var layers = ReadLayerTable(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "ARCHITECTURE.md")));
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (file, folder, uses) in Scan(layers.Keys))
        {
            if (!layers.TryGetValue(folder, out var allowed))
            {
                violations.Add($"{file}: folder '{folder}' is not in docs/ARCHITECTURE.md's layer table; add it " +
                    $"there with what it may use");
                continue;
            }
            foreach (var u in uses)
                if (u != folder && !allowed.Contains(u))
                    violations.Add($"{file} uses {u}, which {folder} may not use");
        }
        Assert.True(violations.Count == 0,
            "forbidden dependencies (docs/ARCHITECTURE.md, Layers):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Layer_table_names_every_folder_and_has_no_cycle()
    {
        var layers = ReadLayerTable(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "ARCHITECTURE.md")));
        var folders = FolderPackages();
        Assert.Equal(folders.Keys.OrderBy(f => f, StringComparer.Ordinal),
            layers.Keys.OrderBy(f => f, StringComparer.Ordinal));
        foreach (var (folder, uses) in layers)
            foreach (var u in uses) Assert.True(layers.ContainsKey(u), $"{folder} may use '{u}', which is not a layer");
        // Depth-first search; a back edge is a cycle.
        var state = new Dictionary<string, int>();
        void Visit(string f, List<string> path)
        {
            if (state.GetValueOrDefault(f) == 2) return;
            Assert.False(state.GetValueOrDefault(f) == 1, "layer cycle: " + string.Join(" -> ", path.Append(f)));
            state[f] = 1;
            foreach (var u in layers[f]) Visit(u, path.Append(f).ToList());
            state[f] = 2;
        }
        foreach (var f in layers.Keys) Visit(f, new List<string>());
        // The generic package is below everything FoundationPose-specific.
        foreach (var (folder, uses) in layers.Where(l => folders[l.Key] == Packages[0]))
            foreach (var u in uses)
                Assert.True(folders[u] == Packages[0],
                    $"{folder} ({Packages[0]}) may use {u}, which is in {folders[u]}");
    }

    /// <summary>The generic package knows nothing of FoundationPose: no code or text of its own names the networks or
    /// their input kinds (comments may mention them as examples of what plugs in from above).</summary>
    [Fact]
    public void Quantization_package_code_does_not_name_FoundationPose()
    {
        var root = PackageRoot(Packages[0]);
        var found = new List<string>();
        foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (rel.StartsWith("bin/", StringComparison.Ordinal) || rel.StartsWith("obj/", StringComparison.Ordinal))
                continue;
            var code = StripComments(File.ReadAllText(path));
            foreach (Match m in Regex.Matches(code, @"FoundationPose|RefineNet|ScoreNet|\bsynthetic:|\bscene:",
                RegexOptions.IgnoreCase))
                found.Add($"{rel}: '{m.Value}'");
        }
        Assert.True(found.Count == 0, "FoundationPose named in the generic package:\n" + string.Join("\n", found));
    }

    /// <summary>
    /// Source text with // and /* */ comments removed; string literals kept (a message naming a network counts).
    /// </summary>
    private static string StripComments(string s) =>
        Regex.Replace(s, @"""(?:[^""\\\n]|\\.)*""|//[^\n]*|/\*.*?\*/", m => m.Value.StartsWith('"') ? m.Value : " ",
            RegexOptions.Singleline);

    [Fact]
    public void Scanner_sees_usings_and_qualified_names_but_not_comments_or_text()
    {
        var known = new[] { "Core", "Pipeline", "Networks", "Onnx", "Benchmark", "Runtime" };
        var found = References("""
            using System.Runtime.InteropServices;
            using Onnx;
            using DataType = Onnx.TensorProto.Types.DataType;
            using FpQuant.Pipeline;
            namespace FpQuant.Core;
            // FpQuant.Benchmark is mentioned in a comment only
            /* Runtime.ModelRunner neither */
            class A { string s = "Benchmark.Summary in text"; object n = Networks.NetworkKind.Refine; string t = $"{Onnx.GraphBuilder.Attr("a", 1)}"; }
            """, known);
        // Core comes from the file's own namespace line, which the dependency check skips as the file's own folder.
        Assert.Equal(new[] { "Core", "Networks", "Onnx", "Pipeline" }, found.OrderBy(x => x, StringComparer.Ordinal));
    }

    /// <summary>Folder to the folders it may use, from the "| Folder | May use | Owns |" table.</summary>
    internal static Dictionary<string, HashSet<string>> ReadLayerTable(string markdown)
    {
        var layers = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        bool inTable = false;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("| Folder | May use |", StringComparison.Ordinal)) { inTable = true; continue; }
            if (!inTable) continue;
            if (!line.StartsWith('|')) break;
            var cells = line.Split('|');
            if (cells[1].Trim().StartsWith("---", StringComparison.Ordinal)) continue;
            layers[cells[1].Trim()] =
                cells[2].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .ToHashSet(StringComparer.Ordinal);
        }
        Assert.True(layers.Count > 0, "docs/ARCHITECTURE.md has no '| Folder | May use | Owns |' table");
        return layers;
    }

    private static IEnumerable<(string File, string Folder,
        HashSet<string> Uses)> Scan(IEnumerable<string> knownFolders)
    {
        var known = knownFolders.Concat(FolderPackages().Keys).Distinct().ToArray();
        foreach (var package in Packages)
        {
            var root = PackageRoot(package);
            foreach (var path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(root, path).Replace('\\', '/');
                if (rel.StartsWith("bin/", StringComparison.Ordinal)
                    || rel.StartsWith("obj/", StringComparison.Ordinal)) continue;
                int slash = rel.IndexOf('/');
                yield return ($"{package}/{rel}", slash < 0 ? "(root)" : rel[..slash],
                    References(File.ReadAllText(path), known));
            }
        }
    }

    /// <summary>The library folders a source file refers to: `using FpQuant.X...`, `FpQuant.X.` anywhere in code, and
    /// `X.Name` (which inside namespace FpQuant.* resolves to FpQuant.X). Comments and string text are skipped; the
    /// code inside interpolation holes is kept. Top-level `using` lines other than FpQuant's name global namespaces
    /// (OnnxSharp's `Onnx`), not layers.</summary>
    internal static HashSet<string> References(string source, IReadOnlyCollection<string> folders)
    {
        var code = StripCommentsAndText(source);
        var set = new HashSet<string>(StringComparer.Ordinal);
        var layer = string.Join("|", folders.Select(Regex.Escape));
        foreach (Match m in Regex.Matches(code, $@"\bFpQuant\.({layer})\b"))
            set.Add(m.Groups[1].Value);
        foreach (var line in code.Split('\n'))
        {
            if (Regex.IsMatch(line, @"^\s*(global\s+)?using\s+(static\s+)?[\w.]+\s*(=|;)")) continue;
            foreach (Match m in Regex.Matches(line, $@"(?<![\w.:])({layer})\.[A-Z]"))
                set.Add(m.Groups[1].Value);
        }
        return set;
    }

    /// <summary>Code with comments removed and the text of string and char literals blanked; the text of each string
    /// literal (holes of interpolated strings left out, strings inside them listed too) goes to
    /// <paramref name="texts"/>.</summary>
    internal static string StripCommentsAndText(string s, List<string>? texts = null)
    {
        var sb = new StringBuilder(s.Length);
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            char next = i + 1 < s.Length ? s[i + 1] : '\0';
            if (c == '/' && next == '/') { while (i < s.Length && s[i] != '\n') i++; continue; }
            if (c == '/'
                && next == '*') { int end = s.IndexOf("*/", i + 2, StringComparison.Ordinal); i = end < 0 ? s.Length
                    : end + 2; sb.Append(' '); continue; }
            if (c == '\'') { i++; while (i < s.Length && s[i] != '\'')
                i += s[i] == '\\' ? 2 : 1; i++; sb.Append("' '"); continue; }
            if (c == '"'
                || ((c == '$' || c == '@')
                    && (next == '"' || ((next == '$' || next == '@') && i + 2 < s.Length && s[i + 2] == '"'))))
            {
                bool interpolated = false, verbatim = false;
                while (s[i] != '"') { interpolated |= s[i] == '$'; verbatim |= s[i] == '@'; i++; }
                if (i + 2 < s.Length && s[i + 1] == '"' && s[i + 2] == '"')
                {
                    // Raw string: up to the next closing """ (no holes are expected in this code base).
                    int end = s.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    texts?.Add(s[(i + 3)..(end < 0 ? s.Length : end)]);
                    i = end < 0 ? s.Length : end + 3; sb.Append("\"\""); continue;
                }
                i++;
                sb.Append('"');
                var text = new StringBuilder();
                while (i < s.Length)
                {
                    char d = s[i];
                    if (!verbatim && d == '\\') { text.Append(s, i, Math.Min(2, s.Length - i)); i += 2; continue; }
                    if (verbatim && d == '"' && i + 1 < s.Length
                        && s[i + 1] == '"') { text.Append('"'); i += 2; continue; }
                    if (d == '"') { i++; break; }
                    if (interpolated && d == '{')
                    {
                        if (i + 1 < s.Length && s[i + 1] == '{') { i += 2; continue; }
                        // A hole: its code is kept up to the matching '}' (recursively: a hole may hold strings of its
                        // own).
                        int level = 1; int start = ++i;
                        while (i < s.Length && level > 0)
                        {
                            if (s[i] == '"') { i++; while (i < s.Length && s[i] != '"') i += s[i] == '\\' ? 2 : 1; }
                            else if (s[i] == '{') level++;
                            else if (s[i] == '}') level--;
                            i++;
                        }
                        sb.Append(' ').Append(StripCommentsAndText(s[start..Math.Max(start, i - 1)], texts))
                            .Append(' ');
                        text.Append("{}");
                        continue;
                    }
                    text.Append(d);
                    i++;
                }
                texts?.Add(text.ToString());
                sb.Append('"');
                continue;
            }
            sb.Append(c);
            i++;
        }
        return sb.ToString();
    }
}
