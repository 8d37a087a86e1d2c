using Onnx;

namespace FpQuant.Quantization.Dynamic;

/// <summary>Gather from a constant table (embeddings): see <see cref="EmbeddingGather"/>.</summary>
internal sealed class DynamicGatherQuantizer : IDynamicOpQuantizer
{
    public bool TryEmit(NodeProto node, DynamicRewrite rw) => EmbeddingGather.TryEmit(node, rw.Context);
}
