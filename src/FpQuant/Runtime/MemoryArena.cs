using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>Where a session's CPU activations live between runs.</summary>
public enum MemoryArena
{
    /// <summary>One arena for every session of the process, grown by exactly what is asked (not to the next power of
    /// two): the refiner, the scorer and the next variant reuse the same memory, so the process holds the largest
    /// single pass, not the sum of all sessions' peaks.</summary>
    Shared,
    /// <summary>ONNX Runtime's default: an arena per session that grows in powers of two and keeps its peak.</summary>
    PerSession,
    /// <summary>No arena: every run allocates and frees (the least memory held, page faults every run).</summary>
    None,
}

/// <summary>The process-wide CPU arena behind <see cref="MemoryArena.Shared"/>, registered with ONNX Runtime's
/// environment once, before the first session that uses it.</summary>
internal static class SharedArena
{
    /// <summary>ONNX Runtime's arena_extend_strategy: 1 = kSameAsRequested.</summary>
    private const int SameAsRequested = 1;
    private static readonly object Gate = new();
    private static bool _registered;

    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            // 0 and -1 leave the total limit, the first chunk and the dead bytes per chunk at ONNX Runtime's defaults.
            using var cfg = new OrtArenaCfg(0, SameAsRequested, -1, -1);
            OrtEnv.Instance().CreateAndRegisterAllocator(OrtMemoryInfo.DefaultInstance, cfg);
            _registered = true;
        }
    }
}
