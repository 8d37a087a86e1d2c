using FpQuant.Core;
using FpQuant.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization;

/// <summary>
/// Dynamic quantization: activations are quantized per run by DynamicQuantizeLinear (u8, their own min/max);
/// MatMul becomes MatMulInteger -> Cast -> Mul (ONNX Runtime fuses this into DynamicQuantizeMatMul), Conv
/// becomes ConvInteger -> Cast -> Mul -> Add, Gemm a MatMulInteger on the (transposed) weight. Only nodes with
/// constant weights are touched.
/// </summary>
public static class DynamicQuantizer
{
    public static ModelProto Quantize(ModelProto model, QuantizationOptions o)
    {
        // An empty plan: dynamic quantization needs no activation parameters, only the weight helpers.
        var ctx = new RewriteContext(QuantizationPlan.Make(model.Graph, o with { OpTypes = new List<string>() }), new());
        var index = ctx.Index;
        var selector = new NodeSelector(o.Include, o.Exclude);
        var ops = o.EffectiveOpTypes;
        var dynamicInputs = new Dictionary<string, (string Q, string Scale, string Zp)>(StringComparer.Ordinal);
        (string Q, string Scale, string Zp) Dyn(string x)
        {
            if (dynamicInputs.TryGetValue(x, out var r)) return r;
            r = ($"{x}/dyn_q", $"{x}/dyn_scale", $"{x}/dyn_zero_point");
            ctx.Emit("DynamicQuantizeLinear", $"{x}/DynamicQuantizeLinear", new[] { x }, new[] { r.Q, r.Scale, r.Zp });
            dynamicInputs[x] = r;
            return r;
        }
        foreach (var node in model.Graph.Node)
        {
            bool selected = ops.Contains(node.OpType) && selector.Selects(node.Name) && node.Input.Count >= 2
                && !index.IsInitializer(node.Input[0]) && index.IsInitializer(node.Input[1]);
            if (selected && node.OpType == "MatMul")
            {
                var w = ctx.Weight(node.Input[1], o.PerChannel && index.Initializers[node.Input[1]].Dims.Count == 2 ? 1 : null);
                var x = Dyn(node.Input[0]);
                string acc = $"{node.Output[0]}/int32";
                ctx.Emit("MatMulInteger", node.Name, new[] { x.Q, w.Name, x.Zp, w.ZeroPoint }, new[] { acc });
                Rescale(ctx, node, acc, x.Scale, w.Scale, node.Output[0]);
            }
            else if (selected && node.OpType == "Conv")
            {
                int? axis = o.PerChannel ? 0 : null;
                var w = ctx.Weight(node.Input[1], axis);
                var x = Dyn(node.Input[0]);
                string acc = $"{node.Output[0]}/int32";
                var conv = ctx.Emit("ConvInteger", node.Name, new[] { x.Q, w.Name, x.Zp, w.ZeroPoint }, new[] { acc });
                conv.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
                bool bias = node.Input.Count > 2 && node.Input[2].Length > 0;
                string scaled = bias ? $"{node.Output[0]}/nobias" : node.Output[0];
                // Per-channel scales broadcast over N x C x H x W as C x 1 x 1.
                string wScale = w.Scale;
                if (w.Params.PerChannel)
                {
                    wScale = ctx.AddInitializer(TensorProtos.FromFloats($"{node.Input[1]}/scale_c11", w.Params.Scale, w.Params.Scale.Length, 1, 1));
                }
                Rescale(ctx, node, acc, x.Scale, wScale, scaled);
                if (bias)
                {
                    var b = index.Initializers[node.Input[2]];
                    string b4 = ctx.AddInitializer(TensorProtos.FromFloats($"{node.Input[2]}/c11", TensorProtos.ToFloats(b), b.Dims[0], 1, 1));
                    ctx.Emit("Add", $"{node.Name}/bias_add", new[] { scaled, b4 }, new[] { node.Output[0] });
                }
            }
            else if (selected && node.OpType == "Gemm" && GraphIndex.IntAttr(node, "transA", 0) == 0
                     && GraphIndex.FloatAttr(node, "alpha", 1f) == 1f && GraphIndex.FloatAttr(node, "beta", 1f) == 1f)
            {
                // MatMulInteger needs B as K x N: transpose a transB weight once, at quantization time.
                string wName = node.Input[1];
                if (GraphIndex.IntAttr(node, "transB", 0) != 0)
                {
                    var wt = index.Initializers[wName];
                    var t = Networks.FoundationPoseGraph.Transpose2D(new FloatTensor(wt.Dims.Select(d => (int)d).ToArray(), TensorProtos.ToFloats(wt)));
                    wName = $"{wName}/transposed";
                    ctx.AddInitializer(TensorProtos.FromTensor(wName, t));
                    index.Initializers[wName] = ctx.NewInitializers[^1];
                }
                var w = ctx.Weight(wName, o.PerChannel ? 1 : null);
                var x = Dyn(node.Input[0]);
                string acc = $"{node.Output[0]}/int32";
                ctx.Emit("MatMulInteger", node.Name, new[] { x.Q, w.Name, x.Zp, w.ZeroPoint }, new[] { acc });
                bool bias = node.Input.Count > 2 && node.Input[2].Length > 0;
                string scaled = bias ? $"{node.Output[0]}/nobias" : node.Output[0];
                Rescale(ctx, node, acc, x.Scale, w.Scale, scaled);
                if (bias) ctx.Emit("Add", $"{node.Name}/bias_add", new[] { scaled, node.Input[2] }, new[] { node.Output[0] });
            }
            else
            {
                ctx.EmitCopy(node, node.Input);
            }
        }
        // Drop a float copy made only for transposition.
        var replaced = new HashSet<string>(ctx.ReplacedInitializers, StringComparer.Ordinal);
        var inits = ctx.NewInitializers.Where(i => !(i.Name.EndsWith("/transposed", StringComparison.Ordinal) && replaced.Contains(i.Name))).ToList();
        return GraphAssembly.Assemble(model, ctx.Nodes, inits, replaced, ctx.IsRead, needsAxisOpset: false, usesMicrosoft: false);
    }

    private static void Rescale(RewriteContext ctx, NodeProto node, string acc, string xScale, string wScale, string output)
    {
        string f = $"{node.Output[0]}/int32_as_float";
        ctx.Emit("Cast", $"{node.Name}/cast", new[] { acc }, new[] { f }, new (string, object)[] { ("to", (long)DataType.Float) });
        string s = $"{node.Output[0]}/rescale";
        ctx.Emit("Mul", $"{node.Name}/scale_product", new[] { xScale, wScale }, new[] { s });
        ctx.Emit("Mul", $"{node.Name}/rescale", new[] { f, s }, new[] { output });
    }
}
