using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// Gather from a constant float table (an embedding): the table is stored as integers (per tensor), the Gather picks
/// integer rows, and one DequantizeLinear turns only the picked rows back into floats. Used by the static, dynamic
/// and weights-only rewrites alike: the table needs no calibration and the indices stay as they are.
/// </summary>
internal static class EmbeddingGather
{
    public static bool Applies(NodeProto node, GraphIndex index) =>
        node.OpType == "Gather" && node.Input.Count == 2 && index.Initializers.TryGetValue(node.Input[0], out var table)
        && table.DataType == (int)TensorProto.Types.DataType.Float && table.Dims.Count >= 1
        && !index.IsInitializer(node.Input[1]);

    public static bool TryEmit(NodeProto node, RewriteContext ctx)
    {
        if (!Applies(node, ctx.Index)) return false;
        var table = ctx.Weight(node.Input[0], null);
        string rows = $"{node.Output[0]}/quantized_rows";
        ctx.EmitCopy(node, new[] { table.Name, node.Input[1] }, new[] { rows });
        // Named after the rows, not the node: the activation QDQ of the output may take "{output}/DequantizeLinear".
        ctx.Emit("DequantizeLinear", $"{rows}/DequantizeLinear", new[] { rows, table.Scale, table.ZeroPoint },
            new[] { node.Output[0] });
        ctx.MarkFloat(node.Output[0]);
        return true;
    }
}
