using FpQuant.Core;
using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Quantization.Dynamic;

/// <summary>Gemm (alpha = beta = 1, no transA) with a constant B -> MatMulInteger on B as K x N (a transB weight is
/// transposed once, at quantization time) -> Cast -> Mul (-> Add of C).</summary>
internal sealed class DynamicGemmQuantizer : IDynamicOpQuantizer
{
    public bool TryEmit(NodeProto node, DynamicRewrite rw)
    {
        if (!OpTraits.HasConstantWeight(node, rw.Index) || rw.Index.IsInitializer(node.Input[0])) return false;
        if (GraphIndex.IntAttr(node, "transA", 0) != 0 || GraphIndex.FloatAttr(node, "alpha", 1f) != 1f
            || GraphIndex.FloatAttr(node, "beta", 1f) != 1f)
            return false;
        var ctx = rw.Context;
        string wName = node.Input[1];
        if (GraphIndex.IntAttr(node, "transB", 0) != 0)
        {
            var wt = rw.Index.Initializers[wName];
            wName = $"{wName}/transposed";
            if (!rw.Index.Initializers.ContainsKey(wName))
                rw.Index.Initializers[wName] = TensorProtos.FromFloats(wName,
                    Matrix2D.Transpose(TensorProtos.ToFloats(wt), (int)wt.Dims[0], (int)wt.Dims[1]), wt.Dims[1],
                    wt.Dims[0]);
            ctx.ReplacedInitializers.Add(node.Input[1]); // dropped unless another node still reads it
        }
        // B is K x N now: its output channels lie on axis 1.
        var w = ctx.Weight(wName, rw.Options.PerChannel ? 1 : null);
        var x = rw.Activation(node.Input[0]);
        string acc = $"{node.Output[0]}/int32";
        ctx.Emit("MatMulInteger", node.Name, new[] { x.Name, w.Name, x.ZeroPoint, w.ZeroPoint }, new[] { acc });
        bool bias = node.Input.Count > 2 && node.Input[2].Length > 0;
        string scaled = bias ? $"{node.Output[0]}/nobias" : node.Output[0];
        rw.Rescale(node, acc, x.Scale, w.Scale, scaled);
        if (bias) ctx.Emit("Add", $"{node.Name}/bias_add", new[] { scaled, node.Input[2] }, new[] { node.Output[0] });
        return true;
    }
}
