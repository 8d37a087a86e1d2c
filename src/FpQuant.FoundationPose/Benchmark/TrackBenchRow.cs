using FpQuant.Core;

namespace FpQuant.Benchmark;

/// <summary>One variant at one thread count: medians over every timed tracking frame (ms), the split by stage,
/// frames per second, the speed-up against fp32 at the same thread count, and the memory a frame costs.</summary>
internal sealed class TrackBenchRow
{
    public required string Variant { get; init; }
    public required int Threads { get; init; }
    public string? Error { get; set; }
    public int Frames { get; set; }
    public Summary? StepMs { get; set; }
    public double RenderMs { get; set; }
    public double CropMs { get; set; }
    public double RefineMs { get; set; }
    public double UpdateMs { get; set; }
    public double NonNetworkMs { get; set; }
    public double FramesPerSecond { get; set; }
    public double? SpeedupVsFp32 { get; set; }
    /// <summary>
    /// Managed bytes the tracking thread allocated per timed frame (GC.GetAllocatedBytesForCurrentThread).
    /// </summary>
    public double AllocatedBytesPerFrame { get; set; }
    /// <summary>Process CPU time per timed frame (ms), all threads: with one thread about what the frame takes on an
    /// idle core, whatever else the machine runs; with more it includes the runtime's spinning threads.</summary>
    public double CpuMsPerFrame { get; set; }
    /// <summary>
    /// The process's working set before this configuration's first timed round and after its last (MB).
    /// </summary>
    public double WorkingSetFirstMb { get; set; }
    public double WorkingSetLastMb { get; set; }
    /// <summary>
    /// Mean ADD against the truth over the timed frames (mm): with synthetic weights a drift figure, not accuracy.
    /// </summary>
    public double MeanAddMm { get; set; }
}
