using System.Globalization;
using FpQuant.Core;

namespace FpQuant.Pipeline;

/// <summary>The refine batch and the score chunk one first frame uses, and why.</summary>
internal sealed record BatchPlan(int RefineBatch, int ScoreChunk, long BudgetBytes, string Reason);

/// <summary>
/// Chooses the refine batch and the score chunk from a memory budget for the whole process (<c>--max-memory</c>).
/// The estimate: the process itself and the scene, the models' weights as ONNX Runtime holds them, then per pair the
/// activations of one network pass and its pooled crop buffers. Each session's arena is handed back when its phase
/// ends (<see cref="Runtime.MemoryArena.Shrinking"/>), so the refine batch and the score chunk each get what is left;
/// they are not added. Batches are balanced: H pairs in ceil(H / cap) runs of equal size (126 at a cap of 48 runs as
/// 42 + 42 + 42, not 48 + 48 + 30), which needs less memory than the cap allows and one size where the split is even,
/// so a phase keeps its arena between runs instead of handing it back when the size changes. Measured with <c>fpquant
/// register --demo --hypotheses 32 --iterations 1 --max-memory 0</c> at batches of 4, 16 and 32 (fp32, 2-core AVX-512
/// VNNI machine, ONNX Runtime 1.31): 443, 604 and 765 MB added by the sessions and the frame, i.e. about 330 MB (2.5 x
/// the 132 MB of model files) plus 10-13.5 MB per pair; the figures below keep a margin for the quantized variants and
/// the managed heap.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>
    /// The .NET process with ONNX Runtime loaded and the demo scene, before any session (measured 77 MB).
    /// </summary>
    public const long ProcessBytes = 96L << 20;
    /// <summary>
    /// Resident bytes per byte of model file: the weights, and the packed copies the kernels make of them.
    /// </summary>
    public const double WeightsPerModelByte = 3.0;
    /// <summary>Arena bytes per pair of a RefineNet pass (encoders of both crops, the transformer layers).</summary>
    public const long RefineBytesPerPair = 15L << 20;
    /// <summary>Arena bytes per pair of ScoreNet's per-pair part (encoders, attention over the tokens).</summary>
    public const long ScoreBytesPerPair = 15L << 20;
    /// <summary>The pooled rendered and observed crops of one pair.</summary>
    public const long CropBytesPerPair = 2L * Networks.CropLayout.PairFloats * sizeof(float);

    public static BatchPlan Plan(FirstFrameSettings s, long modelBytes, bool chunkedScore)
    {
        int h = s.Hypotheses;
        if (s.MaxMemoryBytes <= 0)
        {
            int chunk = chunkedScore && s.ScoreChunk > 0 ? Math.Min(s.ScoreChunk, h) : h;
            return new BatchPlan(Balanced(h, s.RefineBatch), Balanced(h, chunk), 0, "no memory budget");
        }
        long fixedBytes = ProcessBytes + (long)(WeightsPerModelByte * modelBytes);
        long left = s.MaxMemoryBytes - fixedBytes;
        int refine = Fit(left, RefineBytesPerPair + CropBytesPerPair, s.RefineBatch);
        int score = chunkedScore
            ? Fit(left, ScoreBytesPerPair + CropBytesPerPair, s.ScoreChunk > 0 ? Math.Min(s.ScoreChunk, h) : h) : h;
        string reason = string.Create(CultureInfo.InvariantCulture,
            $"budget {Mb(s.MaxMemoryBytes)}: {Mb(fixedBytes)} for the process and weights, {Mb(left)} left for " +
            $"{Mb(RefineBytesPerPair + CropBytesPerPair)} per refine pair and " +
            $"{Mb(ScoreBytesPerPair + CropBytesPerPair)} per score pair");
        if (left < RefineBytesPerPair + CropBytesPerPair) reason += " (below one pair: running one pair at a time)";
        return new BatchPlan(Balanced(h, refine), Balanced(h, score), s.MaxMemoryBytes, reason);
    }

    /// <summary>The size of each of the fewest equal runs of at most <paramref name="cap"/> over
    /// <paramref name="total"/> items (the last may be smaller by less than the number of runs).</summary>
    public static int Balanced(int total, int cap)
    {
        if (total < 1 || cap < 1) return Math.Max(1, cap);
        int runs = (total + cap - 1) / cap;
        return (total + runs - 1) / runs;
    }

    private static int Fit(long left, long perPair, int cap) => (int)Math.Clamp(left / perPair, 1, Math.Max(1, cap));

    private static string Mb(long bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):F0} MB");
}
