using System.Diagnostics;
using FpQuant.Core;

namespace FpQuant.Runtime;

/// <summary>
/// Latency of models against each other on one batch, in one process: untimed warm-up runs, then rounds that run
/// every model once in a rotated order (<see cref="Statistics.AlternatingOrder"/>), so load that comes and goes falls
/// on all of them alike. Used by bench-model and autoquant.
/// </summary>
internal static class AlternatingTiming
{
    /// <summary>The settings for sessions whose runs are timed: a shrinking arena is kept instead (ONNX Runtime's
    /// default, as a deployed model runs), because handing it back after each run would time the page faults of
    /// regrowing it in the next.</summary>
    public static RuntimeSettings ForTiming(RuntimeSettings settings) =>
        settings.Arena == MemoryArena.Shrinking ? settings with { Arena = MemoryArena.Kept } : settings;

    /// <summary>Milliseconds of every timed run of each runner (empty for a null runner).</summary>
    public static List<double>[] Measure(IReadOnlyList<ModelRunner?> runners,
        IReadOnlyDictionary<string, InputTensor> batch, int rounds, int warmups, IProgress<string>? progress = null)
    {
        foreach (var r in runners)
            for (int w = 0; w < warmups; w++) r?.Run(batch);
        var times = runners.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            progress?.Report($"latency round {round + 1}/{rounds}");
            foreach (int i in Statistics.AlternatingOrder(runners.Count, round))
            {
                if (runners[i] == null) continue;
                var t = Stopwatch.StartNew();
                runners[i]!.Run(batch);
                times[i].Add(t.Elapsed.TotalMilliseconds);
            }
        }
        return times;
    }
}
