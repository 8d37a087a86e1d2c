using FpQuant.Core;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>Batches already in memory (library callers with their own data, held-out splits, and tests).</summary>
internal sealed class InMemoryInputSource : InputSource
{
    private readonly IReadOnlyList<Dictionary<string, InputTensor>> _batches;
    private readonly string _description;

    public InMemoryInputSource(IReadOnlyList<Dictionary<string, InputTensor>> batches, string? description = null)
    {
        _batches = batches;
        _description = description ?? $"{batches.Count} in-memory batch(es)";
    }

    public InMemoryInputSource(IReadOnlyList<Dictionary<string, FloatTensor>> batches, string? description = null)
        : this(batches.Select(InputTensor.Batch).ToList(), description) { }

    public InMemoryInputSource(IEnumerable<InputBatch> batches, string? description = null)
        : this(batches.Select(b => b.ToDictionary()).ToList(), description) { }

    public override string Description => _description;
    public IReadOnlyList<Dictionary<string, InputTensor>> Items => _batches;
    internal override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource) =>
        _batches;
}
