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
public static class ModelPreprocessor
{
    public static PreparedModel Prepare(ModelProto model, string modelSource, RuntimeSettings settings)
    {
        var notes = new List<string>();
        var m = OpsetUpgrade.ToOpset13(model, modelSource, notes);
        m = ConstantFolding.Fold(m, modelSource, notes);
        m = BatchNormFolding.Fold(m, notes);
        return new PreparedModel(m, notes);
    }
}
