using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Networks;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Pipeline;

/// <summary>Structured synthetic crop pairs (objects on a background), fed in the model's own layout.</summary>
internal sealed class SyntheticInputSource : InputSource
{
    public int Pairs { get; }
    public ulong Seed { get; }
    public int BatchSize { get; }

    public SyntheticInputSource(int pairs, ulong seed, int batchSize = CalibrationDefaults.BatchSize)
    {
        if (pairs <= 0) throw new FpQuantException($"pairs must be positive, got {pairs}");
        if (batchSize <= 0) throw new FpQuantException($"batchSize must be positive, got {batchSize}");
        Pairs = pairs; Seed = seed; BatchSize = batchSize;
    }

    public override string Description => $"synthetic crops: {Pairs} pairs, seed {Seed}, batches of {BatchSize}";

    internal override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource)
    {
        var sig = ModelSignature.Of(model, modelSource);
        for (int start = 0, b = 0; start < Pairs; start += BatchSize, b++)
        {
            int n = Math.Min(BatchSize, Pairs - start);
            var (r, o) = SyntheticCrops.Generate(n, Seed * 1_000_003UL + (ulong)b);
            yield return InputTensor.Batch(sig.Feeds(r, o));
        }
    }
}
