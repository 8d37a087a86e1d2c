using Onnx;

namespace FpQuant.Quantization.WeightOnly;

/// <summary>Gather from a constant table (embeddings): see <see cref="EmbeddingGather"/>.</summary>
internal sealed class EmbeddingWeightQuantizer : IWeightOnlyOpQuantizer
{
    public bool TryEmit(NodeProto node, RewriteContext ctx) => EmbeddingGather.TryEmit(node, ctx);
}
