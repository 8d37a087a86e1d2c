using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Networks;

namespace FpQuant.Pipeline;

/// <summary>
/// FoundationPose's registration with the two networks: H hypotheses, I refine iterations (crops, RefineNet in
/// batches, pose update), then one ScoreNet pass over all H as one group and the argmax. Every stage is timed.
/// </summary>
public sealed class FirstFrameRunner
{
    private readonly PairModel _refine;
    private readonly PairModel _score;

    public FirstFrameRunner(PairModel refine, PairModel score)
    {
        if (refine.Signature.Kind != Networks.NetworkKind.Refine)
            throw new FpQuantException($"'{refine.Runner.ModelPath}' is not a refine model (it has {refine.Signature.Outputs.Length} output)");
        if (score.Signature.Kind != Networks.NetworkKind.Score)
            throw new FpQuantException($"'{score.Runner.ModelPath}' is not a score model (it has {score.Signature.Outputs.Length} outputs)");
        _refine = refine;
        _score = score;
    }

    public FirstFrameResult Run(FirstFrameSettings s, ICropSource crops, CancellationToken cancel = default)
    {
        s.Validate();
        var sw = Stopwatch.StartNew();
        var poses = PoseHypotheses.Generate(s.TranslationGuess, s.Hypotheses);
        double tSetup = sw.Elapsed.TotalSeconds, tRender = 0, tCrop = 0, tRefine = 0, tUpdate = 0, tScore = 0;
        var refineOut = new List<float>();
        for (int it = 0; it < s.Iterations; it++)
        {
            for (int start = 0; start < poses.Count; start += s.RefineBatch)
            {
                cancel.ThrowIfCancellationRequested();
                int n = Math.Min(s.RefineBatch, poses.Count - start);
                var batch = crops.Crops(poses, start, n, it);
                tRender += batch.RenderSeconds;
                tCrop += batch.CropSeconds;
                sw.Restart();
                var outs = _refine.Run(batch.Rendered, batch.Observed);
                tRefine += sw.Elapsed.TotalSeconds;
                sw.Restart();
                PoseUpdate.ApplyAll(poses, outs[0].Value, outs[1].Value, start, s.Diameter);
                tUpdate += sw.Elapsed.TotalSeconds;
                refineOut.AddRange(outs[0].Value.Data);
                refineOut.AddRange(outs[1].Value.Data);
            }
        }
        cancel.ThrowIfCancellationRequested();
        var scoreBatch = crops.Crops(poses, 0, poses.Count, -1);
        tRender += scoreBatch.RenderSeconds;
        tCrop += scoreBatch.CropSeconds;
        sw.Restart();
        var logits = _score.Run(scoreBatch.Rendered, scoreBatch.Observed)[0].Value.Data;
        tScore = sw.Elapsed.TotalSeconds;
        sw.Restart();
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        double tSelect = sw.Elapsed.TotalSeconds;
        return new FirstFrameResult(poses, logits, best, new StageTimes(tSetup, tRender, tCrop, tRefine, tUpdate, tScore, tSelect), refineOut.ToArray());
    }
}
