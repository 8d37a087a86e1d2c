using Onnx;

namespace FpQuant.Quantization.WeightsOnly;

/// <summary>Gather from a constant table (embeddings): see <see cref="EmbeddingGather"/>.</summary>
public sealed class EmbeddingWeightQuantizer : IWeightOnlyOpQuantizer
{
    public bool TryEmit(NodeProto node, RewriteContext ctx) => EmbeddingGather.TryEmit(node, ctx);
}
