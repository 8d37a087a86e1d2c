using Onnx;

namespace FpQuant.Quantization.Fp16;

/// <summary>How one kind of op is written in a float16 model.</summary>
internal interface IFp16OpConverter
{
    /// <summary>Emits the node (a converted copy) into <paramref name="rewrite"/>; true when it now computes in
    /// float16, false when it was kept in float32 or touches no float values.</summary>
    bool Convert(NodeProto node, Fp16Rewrite rewrite);
}
