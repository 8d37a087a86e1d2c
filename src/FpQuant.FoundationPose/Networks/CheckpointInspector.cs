using System.Diagnostics;
using FpQuant.Checkpoints;
using FpQuant.Core;

namespace FpQuant.Networks;

internal static class CheckpointInspector
{
    public static CheckpointInspection Inspect(string path, bool measureLoad = false)
    {
        double? seconds = null;
        long? peak = null;
        if (measureLoad)
        {
            // Measured first, in a clean state: the time and the extra memory a user pays to get the weights.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using var sampler = new Runtime.WorkingSetSampler(intervalMs: 2);
            long before = sampler.Current();
            sampler.ResetPeak();
            var sw = Stopwatch.StartNew();
            var sd = TorchCheckpoint.LoadStateDict(path);
            seconds = sw.Elapsed.TotalSeconds;
            peak = sampler.Peak() - before;
            GC.KeepAlive(sd);
        }
        using var ck = TorchCheckpoint.Open(path);
        var (where, tensors) = ck.FindStateDict();
        var weightStorages = tensors.Select(t => t.Tensor.Storage).DistinctBy(s => s.Key).ToList();
        var weightKeys = weightStorages.Select(s => s.Key).ToHashSet();
        var all = ck.AllTensors().ToList();
        var optimizer =
            all.Where(t => t.Path.StartsWith("optimizer", StringComparison.Ordinal)).Select(t => t.Tensor.Storage)
            .Where(s => !weightKeys.Contains(s.Key)).DistinctBy(s => s.Key).ToList();
        var optimizerKeys = optimizer.Select(s => s.Key).ToHashSet();
        var others = all.Select(t => t.Tensor.Storage)
            .Where(s => !weightKeys.Contains(s.Key) && !optimizerKeys.Contains(s.Key)).DistinctBy(s => s.Key).ToList();
        var otherEntries = new List<string>();
        if (ck.Root is PickleDict root && where != "(root)")
            foreach (var kv in root.Items)
            {
                string k = ErrorText.Quote(kv.Key?.ToString() ?? "?");
                if ($"'{k}'" == where) continue;
                otherEntries.Add(kv.Value switch
                {
                    long l => $"{k} = {l}",
                    double d => $"{k} = {d}",
                    string s => $"{k} = '{ErrorText.Quote(s)}'",
                    PickleDict d => $"{k} (dict of {d.Items.Count})",
                    List<object?> l => $"{k} (list of {l.Count})",
                    _ => $"{k} ({TorchCheckpoint.Describe(kv.Value)})",
                });
            }
        return new CheckpointInspection(path, ck.FileBytes, ck.Format, where, tensors.Count,
            tensors.Sum(t => t.Tensor.Numel),
            SumBytes(weightStorages), SumBytes(optimizer), SumBytes(others), otherEntries,
            tensors.GroupBy(t => TorchDTypes.Name(t.Tensor.DType)).ToDictionary(g => g.Key, g => g.Count()),
            MatchNetwork(tensors.Select(t => (t.Key, t.Tensor.Size)).ToList()), seconds, peak);
    }

    /// <summary>Bytes of storages as the pickle claims them, saturating: a damaged file may claim absurd sizes and
    /// inspect still reports what it can.</summary>
    private static long SumBytes(IEnumerable<TorchStorageRef> storages)
    {
        long total = 0;
        foreach (var s in storages) total = s.Bytes > long.MaxValue - total ? long.MaxValue : total + s.Bytes;
        return total;
    }

    /// <summary>
    /// Names the network whose state_dict the keys and shapes match, or the closest and what differs.
    /// </summary>
    public static string MatchNetwork(IReadOnlyList<(string Key, long[] Shape)> keys)
    {
        var have = keys.ToDictionary(k => k.Key, k => k.Shape, StringComparer.Ordinal);
        var scored = new[] { NetworkKind.Refine, NetworkKind.Score }.Select(kind =>
        {
            var schema = StateDictSchema.For(kind);
            int matching = schema.Count(e => have.TryGetValue(e.Key, out var s)
                && (s.SequenceEqual(e.Shape.Select(d => (long)d))
                    || (e.Shape.Length == 0 && s.Aggregate(1L, (a, d) => a * d) == 1)));
            return (kind, matching, schema.Count);
        }).OrderByDescending(x => x.matching).ToList();
        var best = scored[0];
        if (best.matching == best.Count && keys.Count == best.Count)
            return $"{best.kind.ClassName()} (all {best.Count} keys and shapes match; " +
                $"{StateDictSchema.ParameterCount(best.kind):N0} parameters)";
        return $"none exactly; closest {best.kind.ClassName()} with {best.matching} of {best.Count} keys matching " +
            $"({keys.Count} keys in the file)";
    }
}
