using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Smoothing;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>Outlier smoothing with one alpha per layer, searched on each layer's own int8 output error, and the fold
/// into a LayerNorm whose output also feeds a residual Add (that reader gets X back through a Mul).</summary>
[Trait("Category", "Quick")]
public class PerLayerSmoothingTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };
    private const int K = 16;

    /// <summary>
    /// Two independent MatMuls: "big" reads an activation with two channels 200x the rest through ordinary weights;
    /// "flat" reads an even activation through weights with two rows 20x the rest (outliers on the other side).
    /// </summary>
    private static ModelProto TwoProfiles()
    {
        var g = new GraphBuilder("two-profiles");
        string a = g.Input("A", DataType.Float, "N", K);
        string b = g.Input("B", DataType.Float, "N", K);
        var wFlat = TinyModels.Random(71, 0.3f, K, K);
        for (int q = 0; q < K; q++) { wFlat.Data[5 * K + q] *= 20; wFlat.Data[9 * K + q] *= 20; }
        g.NodeMulti("MatMul", "big", new[] { a, g.Initializer("w_big", TinyModels.Random(70, 0.3f, K, K)) },
            new[] { "YA" });
        g.NodeMulti("MatMul", "flat", new[] { b, g.Initializer("w_flat", wFlat) }, new[] { "YB" });
        g.Output("YA", DataType.Float, "N", K);
        g.Output("YB", DataType.Float, "N", K);
        return g.Build();
    }

    private static Dictionary<string, FloatTensor> ProfileBatch(ulong seed, int rows = 64)
    {
        var a = TinyModels.Random(seed, 1f, rows, K);
        for (int r = 0; r < rows; r++) { a.Data[r * K + 3] *= 200; a.Data[r * K + 12] *= 200; }
        return new() { ["A"] = a, ["B"] = TinyModels.Random(seed + 1, 1f, rows, K) };
    }

    /// <summary>Outputs agree within 1e-5 relative to the largest output (at least 1).</summary>
    private static void AssertSameFunction(ModelProto original, ModelProto smoothed,
        Dictionary<string, FloatTensor> batch, TempDir tmp)
    {
        var a = TinyModels.Run(original, batch, tmp.Path, "float");
        var b = TinyModels.Run(smoothed, batch, tmp.Path, "smoothed");
        Assert.Equal(a.Count, b.Count);
        for (int o = 0; o < a.Count; o++)
        {
            var (x, y) = (a[o].Value.Data, b[o].Value.Data);
            double diff = x.Zip(y, (p, q) => Math.Abs(p - q)).Max(), scale = Math.Max(1, x.Max(Math.Abs));
            Assert.True(diff <= 1e-5 * scale, $"{a[o].Name}: max difference {diff:E2} (outputs up to {scale:F1})");
        }
    }

    [Fact]
    public void PerLayer_PicksDifferentAlphas_EachNoWorseThanEveryFixedAlpha_AndFloatUnchanged()
    {
        using var tmp = new TempDir();
        var m = TwoProfiles();
        var calib = new InMemoryInputSource(new[] { ProfileBatch(1), ProfileBatch(3) });
        var search = AlphaSearch.For(new QuantizationOptions { ReduceRange = false });
        var layers = new List<SmoothingLayer>();
        var r = OutlierSmoothing.Apply(m, "two", _ => true, l => { layers.Add(l); return search.Best(l); }, calib, Cpu);
        Assert.Equal(2, r.Tensors.Count);
        var alpha = r.Tensors.ToDictionary(t => t.Tensor, t => t.Alpha);
        Assert.NotEqual(alpha["A"], alpha["B"]);
        foreach (var layer in layers)
        {
            // Calibration kept every row of both batches (128 <= the sample's bound).
            Assert.Equal(128, layer.X.SampleRows);
            double chosen = search.LayerError(layer, alpha[layer.Tensor]);
            foreach (double fixedAlpha in new[] { 0.5, 0.65, 0.8 }.Concat(AlphaSearch.Grid))
                Assert.True(chosen <= search.LayerError(layer, fixedAlpha),
                    $"{layer.Tensor}: alpha {alpha[layer.Tensor]} error {chosen:E3} vs alpha {fixedAlpha} " +
                    $"{search.LayerError(layer, fixedAlpha):E3}");
            // The error is not flat over the grid: the choice matters.
            var errors = AlphaSearch.Grid.Select(a => search.LayerError(layer, a)).ToList();
            Assert.True(errors.Max() > 1.5 * errors.Min(), $"{layer.Tensor}: {string.Join(", ", errors)}");
        }
        // Per layer beats every single alpha for both layers (strictly: their best alphas differ).
        double perLayer = layers.Sum(l => search.LayerError(l, alpha[l.Tensor]));
        foreach (double a in AlphaSearch.Grid)
            Assert.True(perLayer < layers.Sum(l => search.LayerError(l, a)), $"alpha {a} for both layers");
        AssertSameFunction(m, r.Model, ProfileBatch(9, 8), tmp);
    }

    [Fact]
    public void PerLayer_ThroughTheQuantizer_RecordsEachAlpha_BeatsUnsmoothed_AndIsDeterministic()
    {
        using var tmp = new TempDir();
        var m = TwoProfiles();
        var calib = new InMemoryInputSource(new[] { ProfileBatch(1), ProfileBatch(3) });
        var o = new QuantizationOptions { ReduceRange = false, OpTypes = ["MatMul"], SmoothingPerLayer = true };
        var first = ModelQuantizer.Quantize(m, "two", o, null, calib, Cpu);
        var second = ModelQuantizer.Quantize(m, "two", o, null, calib, Cpu);
        Assert.Equal(first.Model.ToByteArray(), second.Model.ToByteArray());
        Assert.Equal(2, first.Smoothed.Count);
        Assert.All(first.Smoothed, t => Assert.Contains(t.Alpha, AlphaSearch.Grid));
        Assert.NotEqual(first.Smoothed[0].Alpha, first.Smoothed[1].Alpha);
        // The sidecar records each tensor's own alpha.
        ModelQuantizer.Save(first, tmp.File("q.onnx"), "two.onnx");
        string sidecar = File.ReadAllText(ModelQuantizer.SidecarPath(tmp.File("q.onnx")));
        foreach (var t in first.Smoothed)
            Assert.Contains($"\"alpha\": {t.Alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
                sidecar);
        Assert.Contains("\"smoothingPerLayer\": true", sidecar);
        var plain = ModelQuantizer.Quantize(m, "two", o with { SmoothingPerLayer = false }, null, calib, Cpu);
        var batch = ProfileBatch(11, 32);
        var f = TinyModels.Run(m, batch, tmp.Path, "float");
        var p = TinyModels.Run(plain.Model, batch, tmp.Path, "plain");
        var s = TinyModels.Run(first.Model, batch, tmp.Path, "perlayer");
        double sqnrPlain = QuantMath.Sqnr(f[0].Value.Data, p[0].Value.Data);
        double sqnrSmooth = QuantMath.Sqnr(f[0].Value.Data, s[0].Value.Data);
        Assert.True(sqnrSmooth > sqnrPlain + 3, $"YA: per-layer {sqnrSmooth:F1} dB vs unsmoothed {sqnrPlain:F1} dB");
    }

    [Fact]
    public void BothAlphaAndPerLayer_IsRefused()
    {
        var e = Assert.Throws<FpQuantException>(() =>
            new QuantizationOptions { SmoothingAlpha = 0.5, SmoothingPerLayer = true }.Validate());
        Assert.Contains("SmoothingPerLayer", e.Message);
    }

    /// <summary>X -> LayerNorm (the op, or written out) -> {MatMul, the residual Add of X's norm and the MatMul}.
    /// </summary>
    private static ModelProto NormWithResidual(bool writtenOut)
    {
        var g = new GraphBuilder(writtenOut ? "ln-written" : "ln-op");
        string x = g.Input("X", DataType.Float, "N", K);
        var gamma = TinyModels.Random(80, 0.5f, K);
        for (int c = 0; c < K; c++) gamma.Data[c] += 1f;
        gamma.Data[4] = 30f; gamma.Data[13] = -20f;
        string gammaName = g.Initializer("ln.weight", gamma), beta = g.Initializer("ln.bias",
            TinyModels.Random(81, 0.3f, K));
        string h;
        if (writtenOut)
        {
            string mean = g.Node("ReduceMean", "ln/mean", new[] { x }, ("axes", new long[] { -1 }));
            string centred = g.Node("Sub", "ln/sub", new[] { x, mean });
            string sq = g.Node("Pow", "ln/pow", new[] { centred, g.Constant("two", 2f) });
            string variance = g.Node("ReduceMean", "ln/var", new[] { sq }, ("axes", new long[] { -1 }));
            string std = g.Node("Sqrt", "ln/sqrt",
                new[] { g.Node("Add", "ln/eps", new[] { variance, g.Constant("eps", 1e-5f) }) });
            string normed = g.Node("Div", "ln/div", new[] { centred, std });
            h = g.Node("Add", "ln/beta", new[] { g.Node("Mul", "ln/gamma", new[] { normed, gammaName }), beta });
        }
        else
            h = g.Node("LayerNormalization", "ln", new[] { x, gammaName, beta }, ("axis", -1L), ("epsilon", 1e-5f));
        string y = g.Node("MatMul", "fc", new[] { h, g.Initializer("w", TinyModels.Random(82, 0.3f, K, K)) });
        g.NodeMulti("Add", "residual", new[] { h, y }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", K);
        return g.Build();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LayerNormFeedingAResidual_FoldsWithARestoringMul_FloatUnchanged(bool writtenOut)
    {
        using var tmp = new TempDir();
        var m = NormWithResidual(writtenOut);
        string h = m.Graph.Node.Single(n => n.Name == "fc").Input[0];
        var feed = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(83, 3f, 64, K) };
        var calib = new InMemoryInputSource(new[] { feed });
        var search = AlphaSearch.For(new QuantizationOptions { ReduceRange = false });
        var r = OutlierSmoothing.Apply(m, "ln", _ => true, search.Best, calib, Cpu, compensate: true);
        var t = Assert.Single(r.Tensors);
        Assert.Equal(h, t.Tensor);
        Assert.StartsWith(writtenOut ? "the LayerNorm's gamma and beta ln/gamma / ln/beta" : "LayerNormalization ln",
            t.FoldedInto);
        Assert.EndsWith(OutlierSmoothing.RestoringMul, t.FoldedInto);
        Assert.True(t.MaxScale > 2, $"the outlier channels get large scales: {t.MaxScale}");
        // The MatMul reads the norm's own output; only the residual reads through the one added Mul.
        var g = r.Model.Graph;
        Assert.Equal(m.Graph.Node.Count + 1, g.Node.Count);
        Assert.Equal(h, g.Node.Single(n => n.Name == "fc").Input[0]);
        var restore = g.Node.Single(n => n.Name == OutlierSmoothing.RestoreName(h));
        Assert.Equal("Mul", restore.OpType);
        Assert.Contains(restore.Output[0], g.Node.Single(n => n.Name == "residual").Input);
        Assert.DoesNotContain(h, g.Node.Single(n => n.Name == "residual").Input);
        AssertSameFunction(m, r.Model,
            new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(84, 3f, 8, K) }, tmp);

        // Without compensation the same tensor gets a Mul in front of the MatMul instead.
        var plain = OutlierSmoothing.Apply(m, "ln", _ => true, search.Best, calib, Cpu, compensate: false);
        Assert.Equal(OutlierSmoothing.InsertedMul, Assert.Single(plain.Tensors).FoldedInto);
        AssertSameFunction(m, plain.Model,
            new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(84, 3f, 8, K) }, tmp);
    }

    [Fact]
    public void FoldedNorm_ThroughStaticQuantizer_RestoringMulStaysFloat_AndIsDeterministic()
    {
        var m = NormWithResidual(writtenOut: true);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(83, 3f, 64, K) };
        var calib = new InMemoryInputSource(new[] { feed });
        var o = new QuantizationOptions { ReduceRange = false, SmoothingPerLayer = true };
        var first = ModelQuantizer.Quantize(m, "ln", o, null, calib, Cpu);
        var second = ModelQuantizer.Quantize(m, "ln", o, null, calib, Cpu);
        Assert.Equal(first.Model.ToByteArray(), second.Model.ToByteArray());
        string restore = OutlierSmoothing.RestoreName(Assert.Single(first.Smoothed).Tensor);
        Assert.DoesNotContain(restore, first.QuantizedNodes);
        Assert.Contains("fc", first.QuantizedNodes);
    }
}
