using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Runtime;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Support;

/// <summary>Small hand-built graphs for the quantizer's per-op tests.</summary>
public static class TinyModels
{
    public static FloatTensor Random(ulong seed, float scale, params int[] shape)
    {
        var t = new FloatTensor(shape);
        Hashing.FillUniform("tiny", seed, t.Data);
        for (int i = 0; i < t.Data.Length; i++) t.Data[i] *= scale;
        return t;
    }

    public static ModelProto Conv(bool relu)
    {
        var g = new GraphBuilder("conv");
        string x = g.Input("X", DataType.Float, "N", 3, 8, 8);
        string w = g.Initializer("conv.weight", Random(1, 0.4f, 4, 3, 3, 3));
        string b = g.Initializer("conv.bias", Random(2, 0.1f, 4));
        string y = g.Node("Conv", "conv", new[] { x, w, b }, ("kernel_shape", new long[] { 3, 3 }),
            ("pads", new long[] { 1, 1, 1, 1 }));
        if (relu) y = g.Node("Relu", "relu", new[] { y });
        g.NodeMulti("Identity", "out", new[] { y }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", 4, 8, 8);
        return g.Build();
    }

    public static ModelProto MatMulWeight()
    {
        var g = new GraphBuilder("matmul");
        string x = g.Input("X", DataType.Float, "N", 16);
        string w = g.Initializer("fc.weight", Random(3, 0.3f, 16, 8));
        g.NodeMulti("MatMul", "fc", new[] { x, w }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", 8);
        return g.Build();
    }

    /// <summary>Q K^T-like product of two activations, then Softmax.</summary>
    public static ModelProto MatMulActivationsSoftmax()
    {
        var g = new GraphBuilder("attention-like");
        string a = g.Input("A", DataType.Float, "N", 6, 8);
        string b = g.Input("B", DataType.Float, "N", 8, 6);
        string s = g.Node("MatMul", "qk", new[] { a, b });
        g.NodeMulti("Softmax", "softmax", new[] { s }, new[] { "Y" }, ("axis", -1L));
        g.Output("Y", DataType.Float, "N", 6, 6);
        return g.Build();
    }

    public static ModelProto Gemm()
    {
        var g = new GraphBuilder("gemm");
        string x = g.Input("X", DataType.Float, "N", 10);
        string w = g.Initializer("gemm.weight", Random(4, 0.3f, 5, 10));
        string b = g.Initializer("gemm.bias", Random(5, 0.2f, 5));
        g.NodeMulti("Gemm", "gemm", new[] { x, w, b }, new[] { "Y" }, ("transB", 1L));
        g.Output("Y", DataType.Float, "N", 5);
        return g.Build();
    }

    public static ModelProto AddThenLayerNorm()
    {
        var g = new GraphBuilder("add-ln");
        string a = g.Input("A", DataType.Float, "N", 8);
        string b = g.Input("B", DataType.Float, "N", 8);
        string s = g.Node("Add", "add", new[] { a, b });
        string gamma = g.Initializer("ln.weight", new FloatTensor(new[] { 8 }, Enumerable.Repeat(1f, 8).ToArray()));
        string beta = g.Initializer("ln.bias", new FloatTensor(8));
        string ln = g.Node("LayerNormalization", "ln", new[] { s, gamma, beta }, ("axis", -1L), ("epsilon", 1e-5f));
        g.NodeMulti("Identity", "out_sum", new[] { s }, new[] { "S" });
        g.NodeMulti("Identity", "out_ln", new[] { ln }, new[] { "Y" });
        g.Output("S", DataType.Float, "N", 8);
        g.Output("Y", DataType.Float, "N", 8);
        return g.Build();
    }

    /// <summary>
    /// Three MatMul+Relu layers; the middle one is deliberately fragile: one weight is 1000x the others. It multiplies
    /// a feature that layer 0 always leaves at zero, so activations stay normal, but a per-tensor weight scale set by
    /// the outlier rounds every other weight of that layer to zero.
    /// </summary>
    public static ModelProto FragileChain()
    {
        var g = new GraphBuilder("fragile");
        string x = g.Input("X", DataType.Float, "N", 16);
        string h = x;
        for (int i = 0; i < 3; i++)
        {
            var w = Random((ulong)(10 + i), 0.4f, 16, 16);
            if (i == 0) for (int r = 0; r < 16; r++) w.Data[r * 16 + 5] = 0f; // feature 5 is always zero
            if (i == 1) w.Data[5 * 16 + 3] = 400f;                             // the outlier weight reads feature 5
            string wn = g.Initializer($"layer{i}.weight", w);
            h = g.Node("MatMul", $"layer{i}", new[] { h, wn });
            h = g.Node("Relu", $"layer{i}.relu", new[] { h });
        }
        g.NodeMulti("Identity", "out", new[] { h }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", 16);
        return g.Build();
    }

    /// <summary>
    /// X [N, 64] -> MatMul fc1 (64 x 128) -> Relu -> MatMul fc2 (128 x 32) -> Y: weights large enough that int8 shrinks
    /// the file, small enough that a quantization takes milliseconds.
    /// </summary>
    public static ModelProto Mlp()
    {
        var g = new GraphBuilder("mlp");
        string x = g.Input("X", DataType.Float, "N", 64);
        string h = g.Node("MatMul", "fc1", new[] { x, g.Initializer("fc1.weight", Random(30, 0.2f, 64, 128)) });
        h = g.Node("Relu", "relu", new[] { h });
        g.NodeMulti("MatMul", "fc2", new[] { h, g.Initializer("fc2.weight", Random(31, 0.2f, 128, 32)) },
            new[] { "Y" });
        g.Output("Y", DataType.Float, "N", 32);
        return g.Build();
    }

    /// <summary>
    /// <paramref name="count"/> batches of <paramref name="samples"/> x <paramref name="width"/> uniform values for
    /// input X, each batch from its own seed (seed, seed + 1, ...).
    /// </summary>
    public static List<InputBatch> Batches(ulong seed, int count, int samples, int width) =>
        Enumerable.Range(0, count)
            .Select(i => new InputBatch(("X", (InputTensor)Random(seed + (ulong)i, 1f, samples, width)))).ToList();

    /// <summary>Progress lines as they are reported, in order (Progress&lt;T&gt; would post them later).</summary>
    public sealed class ProgressLines : IProgress<string>
    {
        public List<string> Lines { get; } = new();
        public void Report(string value) => Lines.Add(value);
    }

    public static List<(string Name, FloatTensor Value)> Run(ModelProto m, Dictionary<string, FloatTensor> inputs,
        string dir, string name)
    {
        string path = Path.Combine(dir, name + ".onnx");
        OnnxModelFile.Save(m, path);
        using var r = new ModelRunner(path, new RuntimeSettings { IntraOpThreads = 1 });
        return r.Run(inputs);
    }
}
