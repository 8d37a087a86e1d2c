using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Networks;

namespace FpQuant.Pipeline;

/// <summary>
/// FoundationPose's registration with the two networks: H hypotheses, I refine iterations (crops, RefineNet in
/// batches, pose update), then ScoreNet over all H as one group and the argmax. With a <see cref="ChunkedScoreModel"/>
/// the per-pair part of scoring runs in chunks and only the cross attention sees all H at once (the same numbers,
/// bounded memory). Crops are written into the models' pooled input buffers; every stage is timed.
/// </summary>
internal sealed class FirstFrameRunner
{
    private readonly CropPairSession _refine;
    private readonly CropPairSession? _score;
    private readonly ChunkedScoreModel? _chunked;

    public FirstFrameRunner(CropPairSession refine, CropPairSession score)
    {
        CheckRefine(refine);
        if (score.Signature.Kind != NetworkKind.Score)
            throw new FpQuantException($"'{score.Runner.ModelPath}' is not a score model (it has " +
                $"{score.Signature.Outputs.Length} outputs)");
        _refine = refine;
        _score = score;
    }

    public FirstFrameRunner(CropPairSession refine, ChunkedScoreModel score)
    {
        CheckRefine(refine);
        _refine = refine;
        _chunked = score;
    }

    private static void CheckRefine(CropPairSession refine)
    {
        if (refine.Signature.Kind != NetworkKind.Refine)
            throw new FpQuantException($"'{refine.Runner.ModelPath}' is not a refine model (it has " +
                $"{refine.Signature.Outputs.Length} output)");
    }

    /// <summary>The refine batch and score chunk this runner uses for <paramref name="s"/>.</summary>
    public BatchPlan PlanFor(FirstFrameSettings s)
    {
        long bytes = _refine.ModelBytes + (_chunked?.ModelBytes ?? _score!.ModelBytes);
        return MemoryBudget.Plan(s, bytes, chunkedScore: _chunked != null);
    }

    public FirstFrameResult Run(FirstFrameSettings s, ICropSource crops, CancellationToken cancel = default)
    {
        s.Validate();
        var plan = PlanFor(s);
        var sw = Stopwatch.StartNew();
        var poses = PoseHypotheses.Generate(s.TranslationGuess, s.Hypotheses);
        double tSetup = sw.Elapsed.TotalSeconds, tRender = 0, tCrop = 0, tRefine = 0, tUpdate = 0, tScore = 0;
        var refineOut = new float[s.Iterations * poses.Count * 6];
        int outAt = 0;
        var refineSteps = Steps(poses.Count, plan.RefineBatch).ToList();
        for (int it = 0; it < s.Iterations; it++)
        {
            for (int k = 0; k < refineSteps.Count; k++)
            {
                var (start, n) = refineSteps[k];
                int? next = k + 1 < refineSteps.Count ? refineSteps[k + 1].Count
                    : it + 1 < s.Iterations ? refineSteps[0].Count : null;
                cancel.ThrowIfCancellationRequested();
                var (ra, ob) = _refine.PooledInputs(n);
                var (render, crop) = crops.Fill(poses, start, n, it, ra, ob);
                tRender += render;
                tCrop += crop;
                sw.Restart();
                var trans = new FloatTensor(n, 3);
                var rot = new FloatTensor(n, 3);
                _refine.RunPooled(n, (i, data, _) => data.CopyTo((i == 0 ? trans : rot).Data), EndsPhase(n, next));
                tRefine += sw.Elapsed.TotalSeconds;
                sw.Restart();
                PoseUpdate.ApplyAll(poses, trans, rot, start, s.Diameter);
                tUpdate += sw.Elapsed.TotalSeconds;
                trans.Data.CopyTo(refineOut, outAt);
                rot.Data.CopyTo(refineOut, outAt + trans.Data.Length);
                outAt += 6 * n;
            }
        }
        cancel.ThrowIfCancellationRequested();
        float[] logits;
        if (_chunked == null)
        {
            var (ra, ob) = _score!.PooledInputs(poses.Count);
            var (render, crop) = crops.Fill(poses, 0, poses.Count, -1, ra, ob);
            tRender += render;
            tCrop += crop;
            sw.Restart();
            float[]? l = null;
            _score.RunPooled(poses.Count, (_, data, _) => l = data.ToArray(), endsPhase: true);
            logits = l!;
            tScore = sw.Elapsed.TotalSeconds;
        }
        else
        {
            var chunks = Steps(poses.Count, plan.ScoreChunk).ToList();
            for (int k = 0; k < chunks.Count; k++)
            {
                var (start, n) = chunks[k];
                cancel.ThrowIfCancellationRequested();
                var (ra, ob) = _chunked.PerPair.PooledInputs(n);
                var (render, crop) = crops.Fill(poses, start, n, -1, ra, ob);
                tRender += render;
                tCrop += crop;
                sw.Restart();
                _chunked.Pool(n, start, poses.Count, EndsPhase(n, k + 1 < chunks.Count ? chunks[k + 1].Count : null));
                tScore += sw.Elapsed.TotalSeconds;
            }
            sw.Restart();
            logits = _chunked.Logits(poses.Count);
            tScore += sw.Elapsed.TotalSeconds;
        }
        sw.Restart();
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        double tSelect = sw.Elapsed.TotalSeconds;
        return new FirstFrameResult(poses, logits, best,
            new StageTimes(tSetup, tRender, tCrop, tRefine, tUpdate, tScore, tSelect), refineOut) { Plan = plan };
    }

    /// <summary>Whether a run of <paramref name="count"/> items ends a phase of its model: the next run has another
    /// size (<paramref name="next"/>) or there is none. A shrinking arena is released then, so no two sizes' blocks
    /// are held together and the scorer never runs beside the refiner's arena (see BatchBinding).</summary>
    private static bool EndsPhase(int count, int? next) => next != count;

    /// <summary>
    /// [start, count) steps of <paramref name="max"/> and a last, smaller one: a loop meets at most two batch sizes.
    /// </summary>
    public static IEnumerable<(int Start, int Count)> Steps(int total, int max)
    {
        for (int start = 0; start < total; start += max) yield return (start, Math.Min(max, total - start));
    }
}
