using System.Diagnostics;
using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Runtime;

namespace FpQuant.Pipeline;

/// <summary>Crop pairs (NCHW) and the seconds spent rendering and cropping them.</summary>
public sealed record CropBatch(FloatTensor Rendered, FloatTensor Observed, double RenderSeconds, double CropSeconds);

/// <summary>Supplies rendered/observed crop pairs for hypotheses [start, start + count) at a refine iteration
/// (or for scoring, iteration = -1).</summary>
public interface ICropSource
{
    string Description { get; }
    CropBatch Crops(IReadOnlyList<Pose> poses, int start, int count, int iteration);
}

/// <summary>The structured synthetic generator as a crop source: crops depend on the iteration and hypothesis
/// index only, so every variant sees exactly the same inputs.</summary>
public sealed class SyntheticCropSource : ICropSource
{
    private readonly ulong _seed;
    public SyntheticCropSource(ulong seed) { _seed = seed; }
    public string Description => $"synthetic crops (seed {_seed})";

    public CropBatch Crops(IReadOnlyList<Pose> poses, int start, int count, int iteration)
    {
        // Generating a pair plays the part of rendering it; there is no frame to crop.
        var sw = Stopwatch.StartNew();
        var (r, o) = SyntheticCrops.Generate(count, _seed * 7919UL + (ulong)(iteration + 1), start);
        return new CropBatch(r, o, sw.Elapsed.TotalSeconds, 0);
    }
}

public sealed record FirstFrameSettings
{
    public int Hypotheses { get; init; } = 16;
    public int Iterations { get; init; } = 1;
    /// <summary>Pairs per RefineNet call (Isaac ROS's engines take 42); scoring always takes all hypotheses as one group.</summary>
    public int RefineBatch { get; init; } = 42;
    public double Diameter { get; init; } = 0.2;
    public Vec3 TranslationGuess { get; init; } = new(0, 0, 0.6);

    public void Validate()
    {
        if (Hypotheses is < 1 or > PoseHypotheses.Views * PoseHypotheses.InPlane)
            throw new FpQuantException($"--hypotheses must be between 1 and 252, got {Hypotheses}");
        if (Iterations < 0) throw new FpQuantException($"--iterations must be 0 or more, got {Iterations}");
        if (RefineBatch < 1) throw new FpQuantException($"--refine-batch must be positive, got {RefineBatch}");
    }
}

/// <summary>Seconds spent in each stage of one first frame. Setup: translation guess and hypotheses; Render: the
/// hypotheses drawn into their windows (or generated crops); Crop: the frame warped into the windows.</summary>
public sealed record StageTimes(double Setup, double Render, double Crop, double Refine, double PoseUpdate, double Score, double Select)
{
    public double Crops => Render + Crop;
    public double Network => Refine + Score;
    public double Total => Setup + Render + Crop + Refine + PoseUpdate + Score + Select;
    public double ScoreShareOfNetwork => Network > 0 ? Score / Network : 0;
}

public sealed record FirstFrameResult(
    IReadOnlyList<Pose> Poses,
    float[] Scores,
    int Best,
    StageTimes Times,
    float[] RefineOutputs);

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
