using FpQuant.Core;
using FpQuant.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Support;

/// <summary>
/// A one-layer post-norm-free transformer block as exporters write it: a LayerNorm spelled out (ReduceMean, Sub,
/// Pow, ReduceMean, Add, Sqrt, Div, Mul, Add), Q/K/V projections, Q K^T, Softmax, P V, the output projection, the
/// residual Add, and a Relu feed-forward. <paramref name="outlierChannels"/> makes a few hidden channels of the
/// norm's output 30x larger (through gamma), the activation outliers SmoothQuant is about.
/// </summary>
public static class TinyEncoder
{
    public const int Hidden = 16, Tokens = 6;

    public static ModelProto Build(bool outlierChannels = false)
    {
        var g = new GraphBuilder("tiny-encoder");
        string x = g.Input("X", DataType.Float, "N", Tokens, Hidden);
        string mean = g.Node("ReduceMean", "ln/mean", new[] { x }, ("axes", new long[] { -1 }));
        string centred = g.Node("Sub", "ln/sub", new[] { x, mean });
        string sq = g.Node("Pow", "ln/pow", new[] { centred, g.Constant("two", 2f) });
        string variance = g.Node("ReduceMean", "ln/var", new[] { sq }, ("axes", new long[] { -1 }));
        string std =
            g.Node("Sqrt", "ln/sqrt", new[] { g.Node("Add", "ln/eps", new[] { variance, g.Constant("eps", 1e-5f) }) });
        string normed = g.Node("Div", "ln/div", new[] { centred, std });
        var gammaValues = TinyModels.Random(40, 0.5f, Hidden);
        for (int c = 0; c < Hidden; c++) gammaValues.Data[c] += 1f;
        if (outlierChannels) { gammaValues.Data[3] = 30f; gammaValues.Data[11] = -25f; }
        string scaled = g.Node("Mul", "ln/gamma", new[] { normed, g.Initializer("ln.weight", gammaValues) });
        string h =
            g.Node("Add", "ln/beta", new[] { scaled, g.Initializer("ln.bias", TinyModels.Random(41, 0.2f, Hidden)) });
        string W(string name, ulong seed, float scale = 0.3f) =>
            g.Initializer(name, TinyModels.Random(seed, scale, Hidden, Hidden));
        string q = g.Node("MatMul", "attn/q", new[] { h, W("attn.q.weight", 42) });
        string k = g.Node("MatMul", "attn/k", new[] { h, W("attn.k.weight", 43) });
        string v = g.Node("MatMul", "attn/v", new[] { h, W("attn.v.weight", 44) });
        string kt = g.Node("Transpose", "attn/kt", new[] { k }, ("perm", new long[] { 0, 2, 1 }));
        string s = g.Node("MatMul", "attn/qk", new[] { q, kt });
        string p = g.Node("Softmax", "attn/softmax",
            new[] { g.Node("Mul", "attn/scale", new[] { s, g.Constant("inv_sqrt_d", 0.25f) }) }, ("axis", -1L));
        string a = g.Node("MatMul", "attn/pv", new[] { p, v });
        string o = g.Node("MatMul", "attn/out", new[] { a, W("attn.out.weight", 45) });
        string r = g.Node("Add", "residual", new[] { x, o });
        string f = g.Node("MatMul", "ffn/fc1", new[] { r, W("ffn.fc1.weight", 46) });
        string act = g.Node("Relu", "ffn/act", new[] { f });
        g.NodeMulti("MatMul", "ffn/fc2", new[] { act, W("ffn.fc2.weight", 47) }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", Tokens, Hidden);
        return g.Build();
    }

    public static Dictionary<string, FloatTensor> Batch(ulong seed, int n = 8) =>
        new() { ["X"] = TinyModels.Random(seed, 2f, n, Tokens, Hidden) };
}
