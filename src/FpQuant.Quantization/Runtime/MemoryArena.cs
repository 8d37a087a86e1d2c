using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>Where a session's CPU activations live between runs. Measured with <c>fpquant register --demo
/// --hypotheses 16 --iterations 1 --refine-batch 16 --score-chunk 16 --max-memory 0</c> (fp32, 2-core AVX-512 VNNI
/// machine, ONNX Runtime 1.31), peak working set: shrinking 674 MB, kept 810 MB, shared 954 MB, none 1017 MB.</summary>
internal enum MemoryArena
{
    /// <summary>An arena per session whose unused regions go back to the system when a run ends a phase (a single
    /// run, the last of a frame's refine batches or score chunks): the process holds the weights and one pass at a
    /// time, never the refiner's and the scorer's peaks together. Runs within a phase keep the arena (see
    /// <see cref="BatchBinding"/>).</summary>
    Shrinking,
    /// <summary>ONNX Runtime's default: an arena per session that grows in powers of two and keeps its peak.</summary>
    Kept,
    /// <summary>One arena for every session of the process, grown by exactly what is asked, kept.</summary>
    Shared,
    /// <summary>No arena: every run allocates and frees through the C library.</summary>
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

    /// <summary>Run options that hand a shrinking arena's free regions back after the run.</summary>
    public static RunOptions RunOptionsFor(MemoryArena arena)
    {
        var ro = new RunOptions();
        if (arena == MemoryArena.Shrinking) ro.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
        return ro;
    }
}
