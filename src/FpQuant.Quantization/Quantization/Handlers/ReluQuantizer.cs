using Onnx;

namespace FpQuant.Quantization.Handlers;

/// <summary>
/// A Relu whose input is quantized asymmetrically is folded away: the input takes the Relu output's range, so its
/// zero point is the integer minimum and quantization itself clamps negatives to zero.
/// </summary>
internal sealed class ReluQuantizer : IOpQuantizer
{
    public bool Plan(NodeProto node, QuantizationPlan plan)
    {
        string x = node.Input[0], y = node.Output[0];
        if (plan.Options.SymmetricActivations || plan.FloatTensors.Keeps(y)) return false;
        if (!plan.Tensors.TryGetValue(x, out var src) || src is not CalibratedSource) return false;
        if (plan.Index.GraphOutputs.Contains(x) || plan.Index.GraphOutputs.Contains(y)) return false;
        if (plan.Index.ConsumersOf(x).Count != 1) return false;
        // A float layer reading the Relu output needs it in float, which a folded Relu does not produce.
        if (plan.Index.ConsumersOf(y).Any(c => OpTraits.HasConstantWeight(c, plan.Index) && !plan.Selected(c)))
            return false;
        plan.Tensors[x] = new CalibratedSource(y);
        plan.Tensors[y] = new SharedSource(x);
        plan.RemovedRelus.Add(node.Name);
        return true;
    }

    public void EmitQdq(NodeProto node, RewriteContext ctx) => ctx.Alias(node.Output[0], node.Input[0]);
    public void EmitQOperator(NodeProto node, RewriteContext ctx) => ctx.Alias(node.Output[0], node.Input[0]);
}
