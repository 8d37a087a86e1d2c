using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>Gather from a constant table (embeddings): integer table, integer rows, dequantized after the Gather
/// (<see cref="EmbeddingGather"/>); the same in QDQ and QOperator form. Nothing to calibrate.</summary>
internal sealed class GatherQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan) => EmbeddingGather.Applies(node, plan.Index);

    public void EmitQdq(NodeProto node, RewriteContext ctx) => EmbeddingGather.TryEmit(node, ctx);

    public void EmitQOperator(NodeProto node, RewriteContext ctx) => EmbeddingGather.TryEmit(node, ctx);
}
