namespace FpQuant.Tests.Fuzz;

/// <summary>A temporary folder for the fuzz inputs, removed at the end. On Linux it lives in /dev/shm (memory-backed
/// temp storage): the suite writes every one of its tens of thousands of inputs to a file, and on a loaded disk that
/// costs more than the readers themselves.</summary>
public sealed class FuzzFolder : IDisposable
{
    public string Path { get; }

    public FuzzFolder()
    {
        string name = "fpquant-fuzz-" + Guid.NewGuid().ToString("N");
        Path = System.IO.Path.Combine("/dev/shm", name);
        try { Directory.CreateDirectory(Path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), name);
            Directory.CreateDirectory(Path);
        }
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
