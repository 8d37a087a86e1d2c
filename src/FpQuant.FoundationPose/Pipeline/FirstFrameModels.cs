using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Runtime;

namespace FpQuant.Pipeline;

/// <summary>
/// The sessions of one first frame: RefineNet, and ScoreNet either cut in two (scored in chunks, the default) or
/// whole (all hypotheses in one call, as Isaac ROS's engine runs it). Disposing frees every session and buffer.
/// </summary>
internal sealed class FirstFrameModels : IDisposable
{
    public CropPairSession Refine { get; }
    public CropPairSession? Score { get; }
    public ChunkedScoreModel? ChunkedScore { get; }
    public FirstFrameRunner Runner { get; }
    public double RefineCreateSeconds => Refine.Runner.CreationTime.TotalSeconds;
    /// <summary>The score sessions' creation; for the cut model with reading and cutting the file.</summary>
    public double ScoreCreateSeconds => ChunkedScore?.CreationTime.TotalSeconds
        ?? Score!.Runner.CreationTime.TotalSeconds;

    private FirstFrameModels(CropPairSession refine, CropPairSession? score, ChunkedScoreModel? chunked)
    {
        Refine = refine;
        Score = score;
        ChunkedScore = chunked;
        Runner = chunked != null ? new FirstFrameRunner(refine, chunked) : new FirstFrameRunner(refine, score!);
    }

    /// <param name="chunkedScore">Cut ScoreNet and score in chunks (bounded memory); false runs it whole.</param>
    /// <param name="scoreSettings">The score sessions' settings when they differ (a profile prefix).</param>
    public static FirstFrameModels Open(string refinePath, string scorePath, RuntimeSettings runtime, bool chunkedScore,
        RuntimeSettings? scoreSettings = null, RuntimeSettings? crossSettings = null)
    {
        var refine = new CropPairSession(refinePath, runtime);
        try
        {
            if (refine.Signature.Kind != NetworkKind.Refine)
                throw new FpQuantException($"'{refinePath}' is not a refine model (it has " +
                    $"{refine.Signature.Outputs.Length} output)");
            return chunkedScore
                ? new FirstFrameModels(refine, null,
                    ChunkedScoreModel.Open(scorePath, scoreSettings ?? runtime, crossSettings))
                : new FirstFrameModels(refine, new CropPairSession(scorePath, scoreSettings ?? runtime), null);
        }
        catch { refine.Dispose(); throw; }
    }

    /// <summary>Two model files in either order: which is which is read from each file's outputs.</summary>
    public static FirstFrameModels OpenEitherOrder(string a, string b, RuntimeSettings runtime, bool chunkedScore)
    {
        if (!chunkedScore)
        {
            var (refine, score) = CropPairSession.OpenRefineAndScore(a, b, runtime);
            return new FirstFrameModels(refine, score, null);
        }
        // The score model is parsed anyway to cut it; the refine model only when the order has to be found.
        var mb = OnnxModelFile.Load(b);
        var kb = ModelSignature.Of(mb, $"model '{b}'").Kind;
        if (kb == NetworkKind.Score) return OpenWithParsedScore(a, b, mb, runtime);
        var ma = OnnxModelFile.Load(a);
        if (ModelSignature.Of(ma, $"model '{a}'").Kind == NetworkKind.Score)
            return OpenWithParsedScore(b, a, ma, runtime);
        throw new FpQuantException($"'{a}' and '{b}' are both refine models; give one refine and one score model");
    }

    private static FirstFrameModels OpenWithParsedScore(string refinePath, string scorePath,
        global::Onnx.ModelProto score, RuntimeSettings runtime)
    {
        var refine = new CropPairSession(refinePath, runtime);
        try
        {
            if (refine.Signature.Kind != NetworkKind.Refine)
                throw new FpQuantException($"'{refinePath}' and '{scorePath}' are both score models; give one refine " +
                    $"and one score model");
            return new FirstFrameModels(refine, null,
                ChunkedScoreModel.Open(score, scorePath, new FileInfo(scorePath).Length, runtime));
        }
        catch { refine.Dispose(); throw; }
    }

    public void Dispose()
    {
        Refine.Dispose();
        Score?.Dispose();
        ChunkedScore?.Dispose();
    }
}
