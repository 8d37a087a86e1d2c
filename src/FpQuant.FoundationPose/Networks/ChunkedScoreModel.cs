using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Networks;

/// <summary>
/// ScoreNet as its two parts (<see cref="ScoreNetSplit"/>): the per-pair part, run on chunks of pairs into one
/// vector per pair, and the cross part, run once over all vectors. The same numbers as one group, in a fraction of
/// the memory: the encoders never see more than one chunk at a time.
/// </summary>
internal sealed class ChunkedScoreModel : IDisposable
{
    public string ModelPath { get; }
    /// <summary>The whole model's signature (its inputs are the per-pair part's).</summary>
    public ModelSignature Signature { get; }
    public string CutTensor { get; }
    public CropPairSession PerPair { get; }
    public ModelRunner Cross { get; }
    /// <summary>Reading and cutting the model and creating both sessions.</summary>
    public TimeSpan CreationTime { get; }
    public long ModelBytes { get; }

    private ChunkedScoreModel(string path, ModelSignature signature, string cut, CropPairSession perPair,
        ModelRunner cross, TimeSpan created, long bytes)
    {
        ModelPath = path; Signature = signature; CutTensor = cut; PerPair = perPair; Cross = cross; CreationTime =
            created; ModelBytes = bytes;
    }

    /// <param name="crossSettings">Settings of the cross part's session (a profile prefix of its own), or the
    /// same.</param>
    public static ChunkedScoreModel Open(string modelPath, RuntimeSettings settings,
        RuntimeSettings? crossSettings = null)
    {
        var sw = Stopwatch.StartNew();
        var model = OnnxModelFile.Load(modelPath);
        return Open(model, modelPath, new FileInfo(modelPath).Length, settings, crossSettings, sw);
    }

    public static ChunkedScoreModel Open(ModelProto model, string description, long modelBytes,
        RuntimeSettings settings, RuntimeSettings? crossSettings = null, Stopwatch? started = null)
    {
        var sw = started ?? Stopwatch.StartNew();
        string source = $"model '{description}'";
        var signature = ModelSignature.Of(model, source);
        if (signature.Kind != NetworkKind.Score)
            throw new FpQuantException($"{source} is not a score model (it has {signature.Outputs.Length} outputs)");
        var parts = ScoreNetSplit.Split(model, source);
        byte[] pairBytes = OnnxModelFile.Serialize(parts.PerPair), crossBytes = OnnxModelFile.Serialize(parts.Cross);
        var pairSignature = signature with { Outputs = parts.PerPair.Graph.Output.Select(o => o.Name).ToArray() };
        var perPair = new CropPairSession(pairBytes, $"{description} (per-pair part)", pairSignature, settings);
        try
        {
            var cross = new ModelRunner(crossBytes, $"{description} (cross part)", crossSettings ?? settings);
            return new ChunkedScoreModel(description, signature, parts.CutTensor, perPair, cross, sw.Elapsed,
                modelBytes);
        }
        catch { perPair.Dispose(); throw; }
    }

    private int[]? _itemShape;
    /// <summary>All pairs' per-pair results, kept for the next frame of the same size.</summary>
    private float[] _pooled = Array.Empty<float>();

    /// <summary>Runs the per-pair part on the <paramref name="count"/> pairs written into
    /// <see cref="CropPairSession.PooledInputs"/> of <see cref="PerPair"/>, which are pairs [first, first + count) of
    /// <paramref name="total"/>; <paramref name="endsPhase"/> as for <see cref="CropPairSession.RunPooled"/>.</summary>
    public void Pool(int count, int first, int total, bool endsPhase)
    {
        PerPair.RunPooled(count, (_, data, shape) =>
        {
            int width = (int)(data.Length / count);
            _itemShape ??= shape[1..].Select(d => (int)d).ToArray();
            if (_pooled.Length != (long)total * width) _pooled = new float[(long)total * width];
            data.CopyTo(_pooled.AsSpan(first * width, data.Length));
        }, endsPhase);
    }

    /// <summary>
    /// Scores all <paramref name="total"/> pairs from their pooled results (every pair pooled first): 1 x N logits.
    /// </summary>
    public float[] Logits(int total)
    {
        if (_itemShape == null) throw new InvalidOperationException("Pool before Logits");
        var shape = new[] { total }.Concat(_itemShape).ToArray();
        var outs =
            Cross.Run(new Dictionary<string, FloatTensor> { [Cross.InputNames[0]] = new FloatTensor(shape, _pooled) });
        return outs[0].Value.Data;
    }

    public void Dispose()
    {
        PerPair.Dispose();
        Cross.Dispose();
    }
}
