using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Quantization.Dynamic;

/// <summary>Conv with a constant weight -> ConvInteger -> Cast -> Mul (-> Add of the bias).</summary>
public sealed class DynamicConvQuantizer : IDynamicOpQuantizer
{
    public bool TryEmit(NodeProto node, DynamicRewrite rw)
    {
        if (!OpTraits.HasConstantWeight(node, rw.Index) || rw.Index.IsInitializer(node.Input[0])) return false;
        var ctx = rw.Context;
        var w = ctx.Weight(node.Input[1], OpTraits.WeightAxis(node, rw.Index, rw.Options.PerChannel));
        var x = rw.Activation(node.Input[0]);
        string acc = $"{node.Output[0]}/int32";
        var conv = ctx.Emit("ConvInteger", node.Name, new[] { x.Name, w.Name, x.ZeroPoint, w.ZeroPoint }, new[] { acc });
        conv.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
        bool bias = node.Input.Count > 2 && node.Input[2].Length > 0;
        string scaled = bias ? $"{node.Output[0]}/nobias" : node.Output[0];
        // Per-channel scales broadcast over N x C x H x W as C x 1 x 1.
        string wScale = w.Params.PerChannel
            ? ctx.AddInitializer(TensorProtos.FromFloats($"{node.Input[1]}/scale_c11", w.Params.Scale, w.Params.Scale.Length, 1, 1))
            : w.Scale;
        rw.Rescale(node, acc, x.Scale, wScale, scaled);
        if (bias)
        {
            string b = node.Input[2];
            if (rw.Index.Initializers.TryGetValue(b, out var init))
            {
                ctx.ReplacedInitializers.Add(b); // dropped unless another node still reads it
                b = ctx.AddInitializer(TensorProtos.FromFloats($"{b}/c11", TensorProtos.ToFloats(init), init.Dims[0], 1, 1));
            }
            else
            {
                // A computed bias: reshape it to C x 1 x 1 at run time.
                string shape = ctx.AddInitializer(TensorProtos.FromInt64($"{node.Name}/bias_shape", new long[] { -1, 1, 1 }, 3));
                ctx.Emit("Reshape", $"{node.Name}/bias_reshape", new[] { b, shape }, new[] { $"{b}/c11" });
                b = $"{b}/c11";
            }
            ctx.Emit("Add", $"{node.Name}/bias_add", new[] { scaled, b }, new[] { node.Output[0] });
        }
        return true;
    }
}
