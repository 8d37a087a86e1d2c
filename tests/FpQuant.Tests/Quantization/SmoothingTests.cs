using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Smoothing;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>Outlier smoothing: exact in float wherever it is folded or inserted, and it lets a static int8 MatMul
/// survive activation channels 30x larger than the rest.</summary>
[Trait("Category", "Quick")]
public class SmoothingTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    private static float[] Output(ModelProto m, Dictionary<string, FloatTensor> batch, TempDir tmp, string name) =>
        TinyModels.Run(m, batch, tmp.Path, name)[0].Value.Data;

    /// <summary>Smoothing is exact in float: outputs agree within 1e-5 (relative to outputs larger than 1).</summary>
    private static void AssertSameFunction(ModelProto original, ModelProto smoothed,
        Dictionary<string, FloatTensor> batch, TempDir tmp)
    {
        var a = Output(original, batch, tmp, "float");
        var b = Output(smoothed, batch, tmp, "smoothed");
        double diff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max(), scale = Math.Max(1, a.Max(Math.Abs));
        Assert.True(diff <= 1e-5 * scale, $"max difference {diff:E2} (outputs up to {scale:F1})");
    }

    [Fact]
    public void FoldedIntoWrittenOutLayerNorm_FloatOutputsUnchanged()
    {
        using var tmp = new TempDir();
        var m = TinyEncoder.Build(outlierChannels: true);
        var calib = new InMemoryInputSource(new[] { TinyEncoder.Batch(1) });
        var only = new HashSet<string> { "attn/q", "attn/k", "attn/v" };
        var r = OutlierSmoothing.Apply(m, "tiny", n => only.Contains(n.Name), _ => 0.5, calib, Cpu);
        var t = Assert.Single(r.Tensors);
        Assert.Equal("ln/beta", t.Tensor);
        Assert.Contains("ln/gamma", t.FoldedInto);
        Assert.True(t.MaxScale > 2, $"the outlier channels get large scales: {t.MaxScale}");
        Assert.Equal(m.Graph.Node.Count, r.Model.Graph.Node.Count); // folded: no node added
        // replaced, not left behind
        Assert.DoesNotContain(r.Model.Graph.Initializer, i => i.Name is "ln.weight" or "ln.bias" or "attn.q.weight");
        AssertSameFunction(m, r.Model, TinyEncoder.Batch(2), tmp);
    }

    [Fact]
    public void LayerNormalizationOp_ReluIntoPrecedingWeights_AndMulFallback_AllExact()
    {
        using var tmp = new TempDir();
        // LayerNormalization -> fc1 -> Relu -> fc2, and fc3 reading the residual sum (an Add of two activations).
        var g = new GraphBuilder("ln-op");
        string x = g.Input("X", DataType.Float, "N", 16);
        var gamma = TinyModels.Random(60, 0.5f, 16); gamma.Data[2] = 40f;
        string ln = g.Node("LayerNormalization", "ln",
            new[] { x, g.Initializer("g", gamma), g.Initializer("b", TinyModels.Random(61, 0.3f, 16)) }, ("axis", -1L),
            ("epsilon", 1e-5f));
        string h = g.Node("Relu", "act",
            new[] { g.Node("MatMul", "fc1", new[] { ln, g.Initializer("w1", TinyModels.Random(62, 0.4f, 16, 16)) }) });
        string y = g.Node("MatMul", "fc2", new[] { h, g.Initializer("w2", TinyModels.Random(63, 0.4f, 16, 16)) });
        string sum = g.Node("Add", "sum", new[] { y, x });
        g.NodeMulti("Gemm", "fc3",
            new[] { sum, g.Initializer("w3", TinyModels.Random(64, 0.4f, 8, 16)),
                g.Initializer("b3", TinyModels.Random(65, 0.1f, 8)) }, new[] { "Y" }, ("transB", 1L));
        g.Output("Y", DataType.Float, "N", 8);
        var m = g.Build();
        var feed = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(66, 3f, 32, 16) };
        var r = OutlierSmoothing.Apply(m, "ln-op", _ => true, _ => 0.6, new InMemoryInputSource(new[] { feed }), Cpu);
        var by = r.Tensors.ToDictionary(t => t.Consumers.Single());
        Assert.Equal("LayerNormalization ln", by["fc1"].FoldedInto);
        Assert.Equal("the weights of fc1 (through act)", by["fc2"].FoldedInto);
        Assert.Equal("an inserted Mul", by["fc3"].FoldedInto);
        Assert.Single(r.Model.Graph.Node, n => n.OpType == "Mul");
        AssertSameFunction(m, r.Model, new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(67, 3f, 8, 16) },
            tmp);
    }

    [Fact]
    public void StaticInt8WithOutlierChannels_SmoothingRaisesSqnr()
    {
        using var tmp = new TempDir();
        var m = TinyEncoder.Build(outlierChannels: true);
        var calib = new InMemoryInputSource(new[] { TinyEncoder.Batch(1, 32) });
        var o = new QuantizationOptions { ReduceRange = false, OpTypes = ["MatMul"], PerChannel = true };
        var plain = ModelQuantizer.Quantize(m, "tiny", o, null, calib, Cpu);
        var smooth = ModelQuantizer.Quantize(m, "tiny", o with { SmoothingAlpha = 0.5 }, null, calib, Cpu);
        Assert.NotEmpty(smooth.Smoothed);
        var batch = TinyEncoder.Batch(5, 16);
        var f = Output(m, batch, tmp, "float");
        double sPlain = QuantMath.Sqnr(f, Output(plain.Model, batch, tmp, "plain"));
        double sSmooth = QuantMath.Sqnr(f, Output(smooth.Model, batch, tmp, "smooth"));
        Assert.True(sSmooth > sPlain + 3, $"smoothed {sSmooth:F1} dB vs plain {sPlain:F1} dB");
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    [InlineData("strong")]
    public void BadAlpha_IsOneLine(string text)
    {
        var e = Assert.Throws<FpQuantException>(() =>
            FpQuant.Cli.Commands.FlagValues.Smoothing(new QuantizationOptions(), text));
        Assert.Contains("--smooth", e.Message);
        Assert.Equal(0.5, FpQuant.Cli.Commands.FlagValues.Smoothing(new QuantizationOptions(), "0.5").SmoothingAlpha);
        var auto = FpQuant.Cli.Commands.FlagValues.Smoothing(new QuantizationOptions { SmoothingAlpha = 0.8 }, "auto");
        Assert.True(auto.SmoothingPerLayer);
        Assert.Null(auto.SmoothingAlpha);
        Assert.False(FpQuant.Cli.Commands.FlagValues.Smoothing(auto, "none").Smooths);
    }
}
