using System.Globalization;
using FpQuant.Core;

namespace FpQuant.Evaluation;

/// <summary>
/// One of N parts of an eval run (`--shard K/N`, K from 0, as Kubernetes' JOB_COMPLETION_INDEX and a Slurm array
/// --array=0-(N-1) count): the selected instances dealt out in turn, instance i to shard i mod N, each with all its
/// variants. The N shards partition the selection exactly, hold equal numbers of instances (one more in the first
/// ones), and an instance's variants run on one machine from one read of its images.
/// </summary>
internal sealed record EvalShard(int Index, int Count)
{
    public static EvalShard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && k < n)
            return new EvalShard(k, n);
        throw new FpQuantException($"shard '{ErrorText.Quote(text)}' is not K/N with 0 <= K < N (e.g. 0/4 for the " +
            $"first of four shards; K counts from 0, as JOB_COMPLETION_INDEX does)");
    }

    /// <summary>This shard's share of <paramref name="selected"/>, in their order.</summary>
    public List<T> Select<T>(IReadOnlyList<T> selected) => selected.Where((_, i) => i % Count == Index).ToList();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
