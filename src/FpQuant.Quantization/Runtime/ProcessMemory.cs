using System.Runtime.InteropServices;

namespace FpQuant.Runtime;

/// <summary>Hands memory the process has freed back to the system: the managed heap compacted, and on Linux
/// the C library's free heap pages (ONNX Runtime's freed sessions, buffers and quantization scratch), which glibc
/// otherwise keeps for reuse. Used between pieces of work whose working set is measured.</summary>
internal static class ProcessMemory
{
    private static bool _noTrim;

    public static void Trim()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        if (!OperatingSystem.IsLinux() || _noTrim) return;
        // malloc_trim returns 1 when pages went back and 0 when none were free: either is fine.
        try { _ = MallocTrim(0); }
        // Another C library (musl) has no malloc_trim: nothing to hand back that way.
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { _noTrim = true; }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
