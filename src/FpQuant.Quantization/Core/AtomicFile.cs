namespace FpQuant.Core;

/// <summary>
/// Writes files so that a reader never sees a half-written one: each file goes to a temp name beside its target and is
/// renamed into place. A group of files that belong together (a model and its sidecar) is written all or nothing.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> writer) => WriteGroup((path, writer));

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { var b = System.Text.Encoding.UTF8.GetBytes(text); s.Write(b); });

    /// <summary>
    /// Writes every file of the group, or none: all targets are checked first, all contents go to temp names, then
    /// the temp files are renamed into place one by one. If anything fails, every temp file is removed and every
    /// target already replaced gets its previous content back (or is removed if it did not exist), so a failure
    /// leaves the targets as they were.
    /// </summary>
    public static void WriteGroup(params (string Path, Action<Stream> Writer)[] files)
    {
        var targets = files.Select(f => Prepare(f.Path)).ToArray();
        var dup = targets.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new FpQuantException($"cannot write '{dup.Key}' twice in one group of files");
        var temps = new string?[files.Length];
        var backups = new string?[files.Length];
        int committed = 0;
        string current = files.Length > 0 ? files[0].Path : "";
        try
        {
            for (int i = 0; i < files.Length; i++)
            {
                current = files[i].Path;
                temps[i] = TempBeside(targets[i], "tmp");
                using var fs = new FileStream(temps[i]!, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
                files[i].Writer(fs);
                fs.Flush(true);
            }
            for (; committed < files.Length; committed++)
            {
                current = files[committed].Path;
                // A single file is simply replaced; in a group the old file is kept aside until all are in place.
                if (files.Length > 1 && File.Exists(targets[committed]))
                {
                    backups[committed] = TempBeside(targets[committed], "old");
                    File.Move(targets[committed], backups[committed]!);
                }
                File.Move(temps[committed]!, targets[committed], overwrite: true);
                temps[committed] = null;
            }
        }
        catch (Exception e)
        {
            RollBack(targets, temps, backups, committed);
            if (e is IOException or UnauthorizedAccessException)
                throw new FpQuantException(
                    $"cannot write '{current}': {e.Message}; check that the folder exists and is writable", e);
            throw;
        }
        foreach (var b in backups) TryDelete(b);
    }

    /// <summary>The full target path, its folder created; refused early when the target is a folder.</summary>
    private static string Prepare(string path)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (string.IsNullOrEmpty(dir))
            throw new FpQuantException($"cannot write '{path}': it has no parent folder");
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"cannot create folder '{dir}' for '{path}': {e.Message}", e);
        }
        if (Directory.Exists(full))
            throw new FpQuantException($"cannot write '{path}': a folder of that name exists; give a file name or " +
                $"remove the folder");
        return full;
    }

    private static string TempBeside(string full, string kind) =>
        Path.Combine(Path.GetDirectoryName(full)!,
            $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.{kind}");

    private static void RollBack(string[] targets, string?[] temps, string?[] backups, int committed)
    {
        foreach (var t in temps) TryDelete(t);
        // The file being committed when the failure came may have been moved aside already: restore it too.
        for (int i = Math.Min(committed, targets.Length - 1); i >= 0; i--)
        {
            if (i < committed) TryDelete(targets[i]);
            if (backups[i] is string b)
            {
                try { File.Move(b, targets[i],
                    overwrite: true); } catch { /* best effort: the original error matters more */ }
            }
        }
    }

    private static void TryDelete(string? p)
    {
        try { if (p != null && File.Exists(p))
            File.Delete(p); } catch { /* best effort: the original error matters more */ }
    }
}
