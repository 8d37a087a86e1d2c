using FpQuant.Core;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization.Preprocessing;

/// <summary>
/// What ONNX Runtime's quant_pre_process does, for models exported long ago or without optimisation: the
/// default-domain opset raised to 13 (per-axis DequantizeLinear), constants folded (Constant nodes and subgraphs of
/// constants become initializers, computed by ONNX Runtime itself), and BatchNormalization folded into the Conv
/// before it, so per-channel weights see the weights that actually run. Shapes are not needed by any of these
/// steps; ONNX Runtime infers them when it loads the result.
/// </summary>
internal static class ModelPreprocessor
{
    /// <param name="minimumOpset">The opset the rewrite needs (see <see cref="MinimumOpset"/>): when raising to 13
    /// meets an op the upgrade does not know, the model is raised only this far (or kept at its own opset), and
    /// refused only when even that fails.</param>
    public static PreparedModel Prepare(ModelProto model, string modelSource, RuntimeSettings settings,
        long minimumOpset = OpsetUpgrade.TargetOpset)
    {
        var notes = new List<string>();
        ModelProto m;
        try
        {
            m = OpsetUpgrade.ToOpset13(model, modelSource, notes);
        }
        catch (FpQuantException e) when (minimumOpset < OpsetUpgrade.TargetOpset)
        {
            m = OpsetUpgrade.Raise(model, minimumOpset, modelSource, notes);
            notes.Add(
                $"kept the model below opset {OpsetUpgrade.TargetOpset}, which this quantization does not need " +
                $"({e.Message})");
        }
        m = ConstantFolding.Fold(m, modelSource, notes);
        m = BatchNormFolding.Fold(m, notes);
        return new PreparedModel(m, notes);
    }

    /// <summary>The lowest default-domain opset the rewrite of <paramref name="o"/> can emit its ops at: per-axis
    /// QuantizeLinear/DequantizeLinear (and QDQ's per-channel biases) need 13, DynamicQuantizeLinear 11, per-tensor
    /// QLinear ops 10; float16 needs no particular opset.</summary>
    public static long MinimumOpset(QuantizationOptions o) => o.Mode switch
    {
        QuantMode.Fp16 => 1,
        QuantMode.Dynamic => 11,
        QuantMode.WeightOnly => o.PerChannel ? 13 : 10,
        _ => o.PerChannel || o.Format == QuantFormat.Qdq ? 13 : 10,
    };
}
