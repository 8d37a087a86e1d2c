using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Onnx;

namespace FpQuant.Tests.Quantization;

/// <summary>
/// Each op kind on a small hand-built graph, quantized and run in ONNX Runtime, compared with float within a bound
/// derived from the scales: every rounding moves a value by at most half a step, so a dot product of K terms errs by
/// at most sum(|w| sx/2 + |x| sw/2 + sx sw/4), plus half an output step when the output is requantized.
/// </summary>
[Trait("Category", "Quick")]
public class OpRewriteTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    private static QuantizationResult Quantize(ModelProto m, QuantizationOptions o,
        Dictionary<string, FloatTensor> batch) =>
        ModelQuantizer.Quantize(m, "tiny", o, null, new InMemoryInputSource(new[] { batch }), Cpu);

    private static float MaxAbs(FloatTensor t) => t.Data.Max(MathF.Abs);

    /// <summary>Worst-case error of a K-term dot product with rounded inputs (step sx) and weights (step sw),
    /// plus half an output step (sy) and half a bias step (sx sw) where those are quantized.</summary>
    private static double DotBound(int k, double maxW, double maxX, double sx, double sw, double sy = 0,
        bool bias = false) =>
        sy / 2 + k * (maxW * sx / 2 + maxX * sw / 2 + sx * sw / 4) + (bias ? sx * sw / 2 : 0) + 1e-5;

    public static TheoryData<QuantFormat> Formats => new() { QuantFormat.Qdq, QuantFormat.QOperator };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Conv_WithinScaleBound(QuantFormat format)
    {
        using var tmp = new TempDir();
        var m = TinyModels.Conv(relu: false);
        var x = TinyModels.Random(7, 2f, 2, 3, 8, 8);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = x };
        var r = Quantize(m, new QuantizationOptions { Format = format }, feed);
        Assert.Contains(r.Model.Graph.Node,
            n => n.OpType == (format == QuantFormat.Qdq ? "DequantizeLinear" : "QLinearConv"));
        var y = TinyModels.Run(m, feed, tmp.Path, "f")[0].Value;
        var yq = TinyModels.Run(r.Model, feed, tmp.Path, "q")[0].Value;
        float sx = r.Params["X"].Scale[0], sy = r.Params["conv"].Scale[0];
        var w = new FloatTensor(new[] { 4, 3, 3, 3 },
            TensorProtos.ToFloats(m.Graph.Initializer.First(i => i.Name == "conv.weight")));
        var wScales = TensorProtos.ToFloats(r.Model.Graph.Initializer.First(i => i.Name == "conv.weight/scale_axis0"));
        int k = 27, plane = 64;
        float maxX = MaxAbs(x);
        for (int i = 0; i < y.Data.Length; i++)
        {
            int c = i / plane % 4;
            float maxW = w.Data.Skip(c * k).Take(k).Max(MathF.Abs);
            float sw = wScales[c];
            double bound = DotBound(k, maxW, maxX, sx, sw, sy, bias: true);
            Assert.True(Math.Abs(y.Data[i] - yq.Data[i]) <= bound,
                $"element {i}: float {y.Data[i]}, quantized {yq.Data[i]}, bound {bound}");
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void ConvRelu_ReluIsFoldedAndOutputsAreClamped(QuantFormat format)
    {
        using var tmp = new TempDir();
        var m = TinyModels.Conv(relu: true);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(8, 2f, 2, 3, 8, 8) };
        var r = Quantize(m, new QuantizationOptions { Format = format }, feed);
        Assert.DoesNotContain(r.Model.Graph.Node, n => n.OpType == "Relu");
        var y = TinyModels.Run(m, feed, tmp.Path, "f")[0].Value;
        var yq = TinyModels.Run(r.Model, feed, tmp.Path, "q")[0].Value;
        Assert.All(yq.Data, v => Assert.True(v >= 0));
        // The Conv output takes the Relu's range: scale = max(relu output) / 255, zero point 0.
        var p = r.Params["conv"];
        Assert.Equal(0, p.ZeroPoint[0]);
        Assert.Equal((float)(y.Data.Max() / 255.0), p.Scale[0], 6);
        double worst = y.Data.Zip(yq.Data).Max(t => Math.Abs(t.First - t.Second));
        Assert.True(worst < 0.05 * y.Data.Max(), $"worst error {worst} of max {y.Data.Max()}");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void MatMul_ConstWeight_PerColumnScales_WithinBound(QuantFormat format)
    {
        using var tmp = new TempDir();
        var m = TinyModels.MatMulWeight();
        var x = TinyModels.Random(9, 3f, 5, 16);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = x };
        var r = Quantize(m, new QuantizationOptions { Format = format, PerChannel = true }, feed);
        var scale = r.Model.Graph.Initializer.First(i => i.Name == "fc.weight/scale_axis1");
        Assert.Equal(new long[] { 8 }, scale.Dims);
        var y = TinyModels.Run(m, feed, tmp.Path, "f")[0].Value;
        var yq = TinyModels.Run(r.Model, feed, tmp.Path, "q")[0].Value;
        var w = TensorProtos.ToFloats(m.Graph.Initializer[0]);
        var ws = TensorProtos.ToFloats(scale);
        float sx = r.Params["X"].Scale[0];
        float sy = r.Params.TryGetValue("Y", out var py) ? py.Scale[0] : 0f;
        float maxX = MaxAbs(x);
        for (int i = 0; i < y.Data.Length; i++)
        {
            int j = i % 8;
            float maxW = Enumerable.Range(0, 16).Max(kk => MathF.Abs(w[kk * 8 + j]));
            double bound = DotBound(16, maxW, maxX, sx, ws[j], sy);
            Assert.True(Math.Abs(y.Data[i] - yq.Data[i]) <= bound,
                $"element {i}: {y.Data[i]} vs {yq.Data[i]}, bound {bound}");
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void MatMulOfActivations_ThenSoftmax_WithinBound(QuantFormat format)
    {
        using var tmp = new TempDir();
        var m = TinyModels.MatMulActivationsSoftmax();
        var a = TinyModels.Random(11, 1.5f, 2, 6, 8);
        var b = TinyModels.Random(12, 1.5f, 2, 8, 6);
        var feed = new Dictionary<string, FloatTensor> { ["A"] = a, ["B"] = b };
        var r = Quantize(m, new QuantizationOptions { Format = format }, feed);
        Assert.Contains("softmax", r.QuantizedNodes);
        var y = TinyModels.Run(m, feed, tmp.Path, "f")[0].Value;
        var yq = TinyModels.Run(r.Model, feed, tmp.Path, "q")[0].Value;
        float sa = r.Params["A"].Scale[0], sb = r.Params["B"].Scale[0], sqk = r.Params["qk"].Scale[0];
        double delta = DotBound(8, MaxAbs(b), MaxAbs(a), sa, sb, sqk) - 1e-5;
        // Softmax moves by at most e^(2 delta) - 1 when its inputs move by delta; its output step is 1/255.
        double bound = Math.Exp(2 * delta) - 1 + 0.5 / 255 + 1e-5;
        double worst = y.Data.Zip(yq.Data).Max(t => Math.Abs(t.First - t.Second));
        Assert.True(worst <= bound, $"worst {worst} > bound {bound}");
        Assert.Equal(0, r.Params["Y"].ZeroPoint[0]);
        Assert.Equal(1f / 255, r.Params["Y"].Scale[0], 7);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Gemm_TransB_PerChannelAxis0_WithinBound(QuantFormat format)
    {
        using var tmp = new TempDir();
        var m = TinyModels.Gemm();
        var x = TinyModels.Random(13, 2f, 4, 10);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = x };
        var r = Quantize(m, new QuantizationOptions { Format = format }, feed);
        Assert.Equal(new long[] { 5 }, r.Model.Graph.Initializer.First(i => i.Name == "gemm.weight/scale_axis0").Dims);
        Assert.Contains(r.Model.Graph.Initializer,
            i => i.Name == "gemm.bias/quantized" && i.DataType == (int)TensorProto.Types.DataType.Int32);
        var y = TinyModels.Run(m, feed, tmp.Path, "f")[0].Value;
        var yq = TinyModels.Run(r.Model, feed, tmp.Path, "q")[0].Value;
        var w = TensorProtos.ToFloats(m.Graph.Initializer.First(i => i.Name == "gemm.weight"));
        float sx = r.Params["X"].Scale[0];
        float sy = r.Params.TryGetValue("Y", out var py) ? py.Scale[0] : 0f;
        float maxX = MaxAbs(x);
        var ws = TensorProtos.ToFloats(r.Model.Graph.Initializer.First(i => i.Name == "gemm.weight/scale_axis0"));
        for (int i = 0; i < y.Data.Length; i++)
        {
            int j = i % 5;
            float maxW = w.Skip(j * 10).Take(10).Max(MathF.Abs);
            double bound = DotBound(10, maxW, maxX, sx, ws[j], sy, bias: true);
            Assert.True(Math.Abs(y.Data[i] - yq.Data[i]) <= bound,
                $"element {i}: {y.Data[i]} vs {yq.Data[i]}, bound {bound}");
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Add_IsQuantized_LayerNormalizationStaysFloat(QuantFormat format)
    {
        using var tmp = new TempDir();
        var m = TinyModels.AddThenLayerNorm();
        var a = TinyModels.Random(14, 2f, 3, 8);
        var b = TinyModels.Random(15, 1f, 3, 8);
        var feed = new Dictionary<string, FloatTensor> { ["A"] = a, ["B"] = b };
        var r = Quantize(m, new QuantizationOptions { Format = format }, feed);
        Assert.Contains("add", r.QuantizedNodes);
        Assert.DoesNotContain("ln", r.QuantizedNodes);
        var ln = Assert.Single(r.Model.Graph.Node, n => n.Name == "ln");
        Assert.Equal("LayerNormalization", ln.OpType);
        // Nothing quantizes the LayerNormalization's output.
        Assert.DoesNotContain(r.Model.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == ln.Output[0]);
        var f = TinyModels.Run(m, feed, tmp.Path, "f");
        var q = TinyModels.Run(r.Model, feed, tmp.Path, "q");
        var s = f.First(o => o.Name == "S").Value;
        var sq = q.First(o => o.Name == "S").Value;
        double bound = r.Params["A"].Scale[0] / 2 + r.Params["B"].Scale[0] / 2 + r.Params["add"].Scale[0] / 2 + 1e-5;
        for (int i = 0; i < s.Data.Length; i++)
            Assert.True(Math.Abs(s.Data[i] - sq.Data[i]) <= bound,
                $"sum {i}: {s.Data[i]} vs {sq.Data[i]}, bound {bound}");
    }

    [Fact]
    public void Dynamic_MatMul_WithinPerRunBound()
    {
        using var tmp = new TempDir();
        var m = TinyModels.MatMulWeight();
        var x = TinyModels.Random(16, 3f, 5, 16);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = x };
        var r = ModelQuantizer.Quantize(m, "tiny",
            new QuantizationOptions { Mode = QuantMode.Dynamic, PerChannel = false }, null, null, Cpu);
        Assert.Contains(r.Model.Graph.Node, n => n.OpType == "DynamicQuantizeLinear");
        Assert.Contains(r.Model.Graph.Node, n => n.OpType == "MatMulInteger");
        var y = TinyModels.Run(m, feed, tmp.Path, "f")[0].Value;
        var yq = TinyModels.Run(r.Model, feed, tmp.Path, "q")[0].Value;
        var w = TensorProtos.ToFloats(m.Graph.Initializer[0]);
        var (mn, mx) = QuantMath.MinMax(x.Data);
        float sx = (Math.Max(mx, 0) - Math.Min(mn, 0)) / 255f; // DynamicQuantizeLinear's own range
        float sw = TensorProtos.ToFloats(r.Model.Graph.Initializer.First(i => i.Name == "fc.weight/scale"))[0];
        Assert.Equal(w.Max(MathF.Abs) / (r.Options.ReduceRange == true ? 64f : 127f), sw, 6);
        double bound = DotBound(16, w.Max(MathF.Abs), MaxAbs(x), sx, sw);
        double worst = y.Data.Zip(yq.Data).Max(t => Math.Abs(t.First - t.Second));
        Assert.True(worst <= bound, $"worst {worst} > bound {bound}");
    }

    [Fact]
    public void WeightsOnly_KeepsFloatCompute_AndShrinksWeights()
    {
        using var tmp = new TempDir();
        var m = TinyModels.Conv(relu: false);
        var r = ModelQuantizer.Quantize(m, "tiny", new QuantizationOptions { Mode = QuantMode.WeightOnly }, null, null,
            Cpu);
        Assert.Contains(r.Model.Graph.Node, n => n.OpType == "Conv");
        Assert.DoesNotContain(r.Model.Graph.Initializer, i => i.Name == "conv.weight");
        Assert.Contains(r.Model.Graph.Initializer,
            i => i.Name == "conv.weight/quantized_axis0" && i.DataType == (int)TensorProto.Types.DataType.Int8);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(17, 1f, 1, 3, 8, 8) };
        var y = TinyModels.Run(m, feed, tmp.Path, "f")[0].Value;
        var yq = TinyModels.Run(r.Model, feed, tmp.Path, "q")[0].Value;
        Assert.True(QuantMath.Sqnr(y.Data, yq.Data) > 30);
    }

    [Fact]
    public void Fp16_KeepsFloat32Io_AndBlockListStaysFloat32()
    {
        using var tmp = new TempDir();
        var m = TinyModels.AddThenLayerNorm();
        var r = ModelQuantizer.Quantize(m, "tiny",
            new QuantizationOptions { Mode = QuantMode.Fp16, Fp16BlockOps = ["LayerNormalization"] }, null, null, Cpu);
        Assert.All(r.Model.Graph.Input,
            i => Assert.Equal((int)TensorProto.Types.DataType.Float, i.Type.TensorType.ElemType));
        Assert.Contains(r.Model.Graph.Initializer, i => i.Name == "ln.weight"); // float32 kept for the blocked op
        var feed = new Dictionary<string, FloatTensor> { ["A"] = TinyModels.Random(18, 2f, 3, 8),
            ["B"] = TinyModels.Random(19, 2f, 3, 8) };
        var y = TinyModels.Run(m, feed, tmp.Path, "f");
        var yq = TinyModels.Run(r.Model, feed, tmp.Path, "q");
        for (int k = 0; k < y.Count; k++)
            Assert.True(QuantMath.Sqnr(y[k].Value.Data, yq[k].Value.Data) > 50, y[k].Name);
    }
}
