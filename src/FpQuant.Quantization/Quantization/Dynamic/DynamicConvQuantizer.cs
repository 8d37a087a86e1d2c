using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Quantization.Dynamic;

/// <summary>Conv with a constant weight -> ConvInteger -> Cast -> Mul (-> Add of the bias), for any number of
/// spatial axes (1-D, 2-D, 3-D convolutions; grouped and dilated ones keep their attributes).</summary>
internal sealed class DynamicConvQuantizer : IDynamicOpQuantizer
{
    public bool TryEmit(NodeProto node, DynamicRewrite rw)
    {
        if (!OpTraits.HasConstantWeight(node, rw.Index) || rw.Index.IsInitializer(node.Input[0])) return false;
        var ctx = rw.Context;
        var w = ctx.Weight(node.Input[1], OpTraits.WeightAxis(node, rw.Index, rw.Options.PerChannel));
        // ONNX Runtime's ConvInteger takes one weight zero point: per-channel scales with one shared zero point (the
        // symmetric case) pass it as a scalar; per-channel zero points that differ fall back to per-tensor weights.
        string wZero = w.ZeroPoint;
        if (w.Params.PerChannel)
        {
            if (w.Params.ZeroPoint.Distinct().Count() == 1)
                wZero = ctx.AddInitializer(RewriteContext.IntegerTensor($"{node.Input[1]}/zero_point_shared",
                    new[] { w.Params.ZeroPoint[0] }, w.Params.Type));
            else
            {
                w = ctx.Weight(node.Input[1], null);
                wZero = w.ZeroPoint;
            }
        }
        // The output is N x C x D1 x ... x Dk with k = rank(W) - 2; a per-channel vector broadcasts as C x 1 x ... x 1.
        int spatial = rw.Index.Initializers[node.Input[1]].Dims.Count - 2;
        long[] ChannelDims(long c) => new[] { c }.Concat(Enumerable.Repeat(1L, spatial)).ToArray();
        string suffix = $"c{new string('1', spatial)}";
        var x = rw.Activation(node.Input[0]);
        string acc = $"{node.Output[0]}/int32";
        var conv = ctx.Emit("ConvInteger", node.Name, new[] { x.Name, w.Name, x.ZeroPoint, wZero }, new[] { acc });
        conv.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
        bool bias = node.Input.Count > 2 && node.Input[2].Length > 0;
        string scaled = bias ? $"{node.Output[0]}/nobias" : node.Output[0];
        string wScale = w.Params.PerChannel
            ? ctx.AddInitializer(TensorProtos.FromFloats($"{node.Input[1]}/scale_{suffix}", w.Params.Scale,
                ChannelDims(w.Params.Scale.Length)))
            : w.Scale;
        rw.Rescale(node, acc, x.Scale, wScale, scaled);
        if (bias)
        {
            string b = node.Input[2];
            if (rw.Index.Initializers.TryGetValue(b, out var init))
            {
                ctx.ReplacedInitializers.Add(b); // dropped unless another node still reads it
                b = ctx.AddInitializer(TensorProtos.FromFloats($"{b}/{suffix}", TensorProtos.ToFloats(init),
                    ChannelDims(init.Dims[0])));
            }
            else
            {
                // A computed bias: reshape it at run time.
                var dims = ChannelDims(-1);
                string shape =
                    ctx.AddInitializer(TensorProtos.FromInt64($"{node.Output[0]}/bias_shape", dims, dims.Length));
                ctx.Emit("Reshape", $"{node.Name}/bias_reshape", new[] { b, shape }, new[] { $"{b}/{suffix}" });
                b = $"{b}/{suffix}";
            }
            ctx.Emit("Add", $"{node.Name}/bias_add", new[] { scaled, b }, new[] { node.Output[0] });
        }
        return true;
    }
}
