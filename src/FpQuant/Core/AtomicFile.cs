namespace FpQuant.Core;

/// <summary>Writes files so that a reader never sees a half-written one: temp file beside the target, then rename.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> writer)
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
            throw new FpQuantException($"cannot write '{path}': a folder of that name exists; give a file name");
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                writer(fs);
                fs.Flush(true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new FpQuantException($"cannot write '{path}': {e.Message}; check that the folder exists and is writable", e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { var b = System.Text.Encoding.UTF8.GetBytes(text); s.Write(b); });

    private static void TryDelete(string p)
    {
        try { if (File.Exists(p)) File.Delete(p); } catch { /* best effort: the original error matters more */ }
    }
}
