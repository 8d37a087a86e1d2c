using FpQuant.Core;
using FpQuant.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;
using FpQuant.Checkpoints;

namespace FpQuant.Networks;

/// <summary>
/// Builds RefineNet and ScoreNetMultiPair as ONNX graphs from a state_dict (spec sections 2-5).
/// BatchNorm is folded into the convolutions; attention and the encoder layer are spelled out in standard ops
/// so that a quantizer can treat each MatMul, Softmax and LayerNormalization on its own. Node and initializer
/// names carry the PyTorch module path (e.g. <c>encodeAB.3.conv1</c>, <c>trans_head.0.self_attn.in_proj</c>).
/// </summary>
internal sealed class FoundationPoseGraph
{
    public const float BatchNormEps = 1e-5f;
    public const float LayerNormEps = 1e-5f;

    private readonly GraphBuilder _g;
    private readonly StateDict _sd;

    private FoundationPoseGraph(GraphBuilder g, StateDict sd) { _g = g; _sd = sd; }

    public static ModelProto Build(NetworkKind kind, StateDict sd, ModelLayout layout, string weightSource)
    {
        sd.Validate(kind, weightSource);
        var g = new GraphBuilder(kind.ClassName());
        var b = new FoundationPoseGraph(g, sd);
        var (rendered, observed) = NetworkNames.InputNames(layout);
        string a, bIn;
        if (layout == ModelLayout.Nchw)
        {
            a = g.Input(rendered, DataType.Float, "N", NetworkNames.Channels, NetworkNames.CropSize,
                NetworkNames.CropSize);
            bIn = g.Input(observed, DataType.Float, "N", NetworkNames.Channels, NetworkNames.CropSize,
                NetworkNames.CropSize);
        }
        else
        {
            var ra = g.Input(rendered, DataType.Float, "N", NetworkNames.CropSize, NetworkNames.CropSize,
                NetworkNames.Channels);
            var ob = g.Input(observed, DataType.Float, "N", NetworkNames.CropSize, NetworkNames.CropSize,
                NetworkNames.Channels);
            a = g.Node("Transpose", "input_layout/rendered_to_nchw", new[] { ra }, ("perm", new long[] { 0, 3, 1, 2 }));
            bIn =
                g.Node("Transpose", "input_layout/observed_to_nchw", new[] { ob }, ("perm", new long[] { 0, 3, 1, 2 }));
        }
        string tokens = b.Encoder(kind, a, bIn);
        var outs = NetworkNames.OutputNames(kind, layout);
        if (kind == NetworkKind.Refine)
        {
            b.RefineHead("trans_head", tokens, outs[0]);
            b.RefineHead("rot_head", tokens, outs[1]);
            g.Output(outs[0], DataType.Float, "N", 3);
            g.Output(outs[1], DataType.Float, "N", 3);
        }
        else
        {
            b.ScoreHead(tokens, outs[0]);
            g.Output(outs[0], DataType.Float, 1, "N");
        }
        var meta = new Dictionary<string, string>
        {
            ["fpquant.network"] = kind.ClassName(),
            ["fpquant.layout"] = layout.Id(),
            ["fpquant.weights"] = weightSource,
        };
        return g.Build(GraphBuilder.DefaultOpset, meta);
    }

    // ---- encoders (section 3) ----

    private string Encoder(NetworkKind kind, string a, string b)
    {
        string ea = StateDictSchema.EncoderA(kind), eab = StateDictSchema.EncoderAB(kind);
        // One pass of encoder A over cat([A, B]) along the batch, as the PyTorch module does.
        string x = _g.Node("Concat", $"{ea}/concat_pairs", new[] { a, b }, ("axis", 0L));
        x = ConvBnRelu($"{ea}.0", x, 2, 3);
        x = ConvBnRelu($"{ea}.1", x, 2, 1);
        x = ResBlock($"{ea}.2", x);
        x = ResBlock($"{ea}.3", x);
        var halves = _g.NodeMulti("Split", $"{ea}/split_pairs", new[] { x },
            new[] { $"{ea}/split_pairs_rendered", $"{ea}/split_pairs_observed" }, ("axis", 0L));
        x = _g.Node("Concat", $"{eab}/concat_channels", halves, ("axis", 1L));
        x = ResBlock($"{eab}.0", x);
        x = ResBlock($"{eab}.1", x);
        x = ConvBnRelu($"{eab}.2", x, 2, 1);
        x = ResBlock($"{eab}.3", x);
        x = ResBlock($"{eab}.4", x);
        // N x 512 x 20 x 20 -> N x 400 x 512 (token = h*20 + w), plus the positional embedding.
        string shape = _g.ConstantInt64("tokens/shape", 0, StateDictSchema.Embed, StateDictSchema.Tokens);
        x = _g.Node("Reshape", "tokens/flatten", new[] { x, shape });
        x = _g.Node("Transpose", "tokens/to_sequence", new[] { x }, ("perm", new long[] { 0, 2, 1 }));
        string pe = _g.Initializer("pos_embed.pe", _sd["pos_embed.pe"]);
        return _g.Node("Add", "pos_embed", new[] { x, pe });
    }

    private string ConvBnRelu(string p, string x, int stride, int pad)
    {
        x = Conv($"{p}.net.0", $"{p}.net.1", x, stride, pad);
        return _g.Node("Relu", $"{p}.net.2", new[] { x });
    }

    private string ResBlock(string p, string input)
    {
        string x = Conv($"{p}.conv1", $"{p}.bn1", input, 1, 1);
        x = _g.Node("Relu", $"{p}.relu1", new[] { x });
        x = Conv($"{p}.conv2", $"{p}.bn2", x, 1, 1);
        x = _g.Node("Add", $"{p}.add", new[] { x, input });
        return _g.Node("Relu", $"{p}.relu2", new[] { x });
    }

    /// <summary>A Conv whose weights and bias absorb the following eval-mode BatchNorm.</summary>
    private string Conv(string convKey, string bnKey, string x, int stride, int pad)
    {
        var w = _sd[$"{convKey}.weight"];
        var bias = _sd[$"{convKey}.bias"];
        var (fw, fb) = FoldBatchNorm(w, bias, _sd[$"{bnKey}.weight"], _sd[$"{bnKey}.bias"],
            _sd[$"{bnKey}.running_mean"], _sd[$"{bnKey}.running_var"]);
        string wn = _g.Initializer($"{convKey}.weight", fw);
        string bn = _g.Initializer($"{convKey}.bias", fb);
        int k = w.Shape[2];
        return _g.Node("Conv", convKey, new[] { x, wn, bn },
            ("kernel_shape", new long[] { k, k }), ("strides", new long[] { stride, stride }),
            ("pads", new long[] { pad, pad, pad, pad }), ("dilations", new long[] { 1, 1 }), ("group", 1L));
    }

    /// <summary>w' = w * gamma / sqrt(var + eps); b' = (b - mean) * gamma / sqrt(var + eps) + beta.</summary>
    public static (FloatTensor Weight, FloatTensor Bias) FoldBatchNorm(FloatTensor w, FloatTensor b,
        FloatTensor gamma, FloatTensor beta, FloatTensor mean, FloatTensor var)
    {
        int cout = w.Shape[0];
        int per = (int)(w.Length / cout);
        var fw = new FloatTensor((int[])w.Shape.Clone());
        var fb = new FloatTensor(cout);
        for (int o = 0; o < cout; o++)
        {
            double s = gamma.Data[o] / Math.Sqrt((double)var.Data[o] + BatchNormEps);
            for (int i = 0; i < per; i++) fw.Data[o * per + i] = (float)(w.Data[o * per + i] * s);
            fb.Data[o] = (float)((b.Data[o] - (double)mean.Data[o]) * s + beta.Data[o]);
        }
        return (fw, fb);
    }

    // ---- attention and transformer (section 2) ----

    /// <summary>
    /// y = x W^T + b with W stored (out, in): the initializer holds W^T so MatMul's B is constant (K x N).
    /// </summary>
    private string Linear(string p, string x, string weightKey, string biasKey)
    {
        var w = _sd[weightKey];
        string wt = _g.Initializer($"{p}.weight", Matrix2D.Transpose(w));
        string bias = _g.Initializer($"{p}.bias", _sd[biasKey]);
        string y = _g.Node("MatMul", p, new[] { x, wt });
        return _g.Node("Add", $"{p}/bias_add", new[] { y, bias });
    }

    /// <summary>nn.MultiheadAttention self-attention (q = k = v = x), batch_first, 4 heads of 128.</summary>
    private string SelfAttention(string p, string x)
    {
        int e = StateDictSchema.Embed, h = StateDictSchema.Heads, d = e / h;
        string qkv = Linear($"{p}.in_proj", x, $"{p}.in_proj_weight", $"{p}.in_proj_bias");
        var parts = _g.NodeMulti("Split", $"{p}/split_qkv", new[] { qkv },
            new[] { $"{p}/q", $"{p}/k", $"{p}/v" }, ("axis", 2L));
        string heads = _g.ConstantInt64($"{p}/heads_shape", 0, 0, h, d);
        string q = _g.Node("Reshape", $"{p}/q_heads", new[] { parts[0], heads });
        q = _g.Node("Transpose", $"{p}/q_t", new[] { q }, ("perm", new long[] { 0, 2, 1, 3 }));
        string scale = _g.Constant($"{p}/scale", (float)(1.0 / Math.Sqrt(d)));
        q = _g.Node("Mul", $"{p}/q_scaled", new[] { q, scale });
        string k = _g.Node("Reshape", $"{p}/k_heads", new[] { parts[1], heads });
        k = _g.Node("Transpose", $"{p}/k_t", new[] { k }, ("perm", new long[] { 0, 2, 3, 1 }));
        string v = _g.Node("Reshape", $"{p}/v_heads", new[] { parts[2], heads });
        v = _g.Node("Transpose", $"{p}/v_t", new[] { v }, ("perm", new long[] { 0, 2, 1, 3 }));
        string scores = _g.Node("MatMul", $"{p}/qk", new[] { q, k });
        string probs = _g.Node("Softmax", $"{p}/softmax", new[] { scores }, ("axis", -1L));
        string ctx = _g.Node("MatMul", $"{p}/attn_v", new[] { probs, v });
        ctx = _g.Node("Transpose", $"{p}/ctx_t", new[] { ctx }, ("perm", new long[] { 0, 2, 1, 3 }));
        string merged = _g.ConstantInt64($"{p}/merge_shape", 0, 0, e);
        ctx = _g.Node("Reshape", $"{p}/merge_heads", new[] { ctx, merged });
        return Linear($"{p}.out_proj", ctx, $"{p}.out_proj.weight", $"{p}.out_proj.bias");
    }

    private string LayerNorm(string p, string x)
    {
        string w = _g.Initializer($"{p}.weight", _sd[$"{p}.weight"]);
        string b = _g.Initializer($"{p}.bias", _sd[$"{p}.bias"]);
        return _g.Node("LayerNormalization", p, new[] { x, w, b }, ("axis", -1L), ("epsilon", LayerNormEps));
    }

    /// <summary>Post-norm nn.TransformerEncoderLayer with ReLU and a 512-wide feed-forward.</summary>
    private string TransformerLayer(string p, string x)
    {
        string sa = SelfAttention($"{p}.self_attn", x);
        x = _g.Node("Add", $"{p}/residual1", new[] { x, sa });
        x = LayerNorm($"{p}.norm1", x);
        string ff = Linear($"{p}.linear1", x, $"{p}.linear1.weight", $"{p}.linear1.bias");
        ff = _g.Node("Relu", $"{p}.activation", new[] { ff });
        ff = Linear($"{p}.linear2", ff, $"{p}.linear2.weight", $"{p}.linear2.bias");
        x = _g.Node("Add", $"{p}/residual2", new[] { x, ff });
        return LayerNorm($"{p}.norm2", x);
    }

    // ---- heads (sections 4 and 5) ----

    private void RefineHead(string head, string tokens, string output)
    {
        string x = TransformerLayer($"{head}.0", tokens);
        x = Linear($"{head}.1", x, $"{head}.1.weight", $"{head}.1.bias");
        _g.NodeMulti("ReduceMean", $"{head}/token_mean", new[] { x }, new[] { output },
            ("axes", new long[] { 1 }), ("keepdims", 0L));
    }

    private void ScoreHead(string tokens, string output)
    {
        string x = SelfAttention("att", tokens);
        x = _g.Node("ReduceMean", "att/token_mean", new[] { x }, ("axes", new long[] { 1 }), ("keepdims", 0L));
        // All N pairs form one group of L = N hypotheses: 1 x N x 512.
        string axis0 = _g.ConstantInt64("group/axis0", 0);
        x = _g.Node("Unsqueeze", "group/as_one_group", new[] { x, axis0 });
        x = SelfAttention("att_cross", x);
        x = Linear("linear", x, "linear.weight", "linear.bias");
        string axis2 = _g.ConstantInt64("group/axis2", 2);
        _g.NodeMulti("Squeeze", "group/logits", new[] { x, axis2 }, new[] { output });
    }
}
