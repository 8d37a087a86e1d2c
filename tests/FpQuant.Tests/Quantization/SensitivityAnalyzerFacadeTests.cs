using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Sensitivity;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>
/// <see cref="SensitivityAnalyzer.Analyse"/> called as a C# program calls it: with per-tensor weights (where one
/// outlier sets a whole layer's scale), the layer with an injected outlier weight is ranked most sensitive wherever in
/// the chain it is put, a caller's own <see cref="IFidelityMetric"/> sees the batches
/// and adds its values, and bad arguments are named.
/// </summary>
[Trait("Category", "Quick")]
public class SensitivityAnalyzerFacadeTests
{
    private const int Width = 16, DeadFeature = 5;
    private static readonly ExecutionOptions OneThread = new() { Threads = 1 };
    private static readonly QuantizationOptions PerTensor = QuantizationPresets.OnnxStatic with { PerChannel = false };

    /// <summary>
    /// Three MatMul+Relu layers. Layer <paramref name="outlierLayer"/> gets one weight 1000x the others, reading a
    /// feature that is always zero where it arrives (the input's, or the previous layer's output), so float outputs are
    /// untouched but that layer's weight scale is set by the outlier.
    /// </summary>
    private static ModelProto ChainWithOutlierIn(int outlierLayer)
    {
        var g = new GraphBuilder("chain");
        string h = g.Input("X", DataType.Float, "N", Width);
        for (int i = 0; i < 3; i++)
        {
            var w = TinyModels.Random((ulong)(40 + i), 0.4f, Width, Width);
            if (i == outlierLayer - 1) for (int r = 0; r < Width; r++) w.Data[r * Width + DeadFeature] = 0f;
            if (i == outlierLayer) w.Data[DeadFeature * Width + 3] = 400f;
            h = g.Node("MatMul", $"layer{i}", new[] { h, g.Initializer($"layer{i}.weight", w) });
            h = g.Node("Relu", $"layer{i}.relu", new[] { h });
        }
        g.NodeMulti("Identity", "out", new[] { h }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", Width);
        return g.Build();
    }

    /// <summary>Batches of X; the dead feature is zero in all of them (it matters when layer 0 reads it).</summary>
    private static List<InputBatch> Data(ulong seed, int count)
    {
        var batches = new List<InputBatch>();
        for (int b = 0; b < count; b++)
        {
            var x = TinyModels.Random(seed + (ulong)b, 1f, 16, Width);
            for (int s = 0; s < 16; s++) x.Data[s * Width + DeadFeature] = 0f;
            batches.Add(new InputBatch(("X", (InputTensor)x)));
        }
        return batches;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Analyse_RanksTheLayerWithTheOutlierFirst(int outlierLayer)
    {
        using var tmp = new TempDir();
        string model = tmp.File("chain.onnx");
        OnnxModelFile.Save(ChainWithOutlierIn(outlierLayer), model);
        var progress = new TinyModels.ProgressLines();

        var report = SensitivityAnalyzer.Analyse(model, ModelInputs.FromBatches(Data(1, 2)),
            new SensitivityOptions
            {
                Recipe = PerTensor,
                Evaluation = ModelInputs.FromBatches(Data(50, 1)),
                ReportFolder = tmp.File("report"),
                Execution = OneThread,
            }, progress);

        Assert.Equal("chain.onnx", report.Model);
        Assert.Equal("generic", report.Network);
        // Every layer is ranked (beside any other quantization points the analysis ranks); most sensitive first,
        // and the outlier's layer is far ahead of everything else.
        Assert.Equal(new[] { "layer0", "layer1", "layer2" },
            report.Layers.Select(l => l.Layer).Where(l => l.StartsWith("layer", StringComparison.Ordinal)).Order());
        var fragile = report.Layers[0];
        Assert.Equal($"layer{outlierLayer}", fragile.Layer);
        var sqnrs = report.Layers.Select(l => l.OnlyThisQuantized.SqnrDb).ToList();
        Assert.Equal(sqnrs.Order(), sqnrs);
        Assert.True(fragile.OnlyThisQuantized.SqnrDb + 10 < sqnrs[1],
            $"outlier layer {fragile.OnlyThisQuantized.SqnrDb:F1} dB, next {sqnrs[1]:F1} dB");
        Assert.Contains($"layer{outlierLayer}", fragile.Nodes);
        // The whole model quantized, on the search group and on the held-out batch.
        Assert.Equal(16, report.SearchSamples);
        Assert.Equal(16, report.HeldOutSamples);
        Assert.NotNull(report.FullyQuantizedHeldOut);
        Assert.NotEmpty(report.Tensors);
        Assert.NotEmpty(progress.Lines);
        foreach (var f in new[] { "sensitivity.json", "sensitivity.md" })
            Assert.True(File.Exists(Path.Combine(tmp.File("report"), f)), f);
    }

    [Fact]
    public void Analyse_WithACallersMetric_PassesItTheBatches_AndReportsItsValues()
    {
        using var tmp = new TempDir();
        string model = tmp.File("chain.onnx");
        OnnxModelFile.Save(ChainWithOutlierIn(1), model);
        var metric = new LargestDifference();

        var report = SensitivityAnalyzer.Analyse(model, ModelInputs.FromBatches(Data(1, 2)),
            new SensitivityOptions { Recipe = PerTensor, Metric = metric, Execution = OneThread });

        Assert.Equal("chain", report.Network);
        Assert.All(metric.Seen, batch => Assert.Equal(16, batch.Samples));
        Assert.All(metric.Seen, batch => Assert.Equal(new[] { "X" }, batch.Keys));
        // The outlier's layer quantized alone moves the output most, in the metric's terms too.
        var fragile = report.Layers[0];
        Assert.Equal("layer1", fragile.Layer);
        Assert.All(report.Layers.Skip(1), l => Assert.True(
            l.OnlyThisQuantized.Metrics["max_abs"] < fragile.OnlyThisQuantized.Metrics["max_abs"], l.Layer));
        Assert.True(report.FullyQuantized.Metrics["max_abs"] > 0);
    }

    [Fact]
    public void Analyse_BadArguments_ThrowNamingTheArgument()
    {
        using var tmp = new TempDir();
        string model = tmp.File("chain.onnx");
        OnnxModelFile.Save(ChainWithOutlierIn(1), model);
        var data = ModelInputs.FromBatches(Data(1, 2));

        Assert.Equal("modelPath",
            Assert.Throws<ArgumentNullException>(() => SensitivityAnalyzer.Analyse(null!, data)).ParamName);
        Assert.Equal("calibration",
            Assert.Throws<ArgumentNullException>(() => SensitivityAnalyzer.Analyse(model, null!)).ParamName);
        var batches = Assert.Throws<FpQuantException>(() =>
            SensitivityAnalyzer.Analyse(model, data, new SensitivityOptions { SearchBatches = 0 }));
        Assert.Contains("SearchBatches", batches.Message);
        // fp16 has no layers to quantize one at a time: only static and dynamic recipes are analysed.
        var fp16 = Assert.Throws<FpQuantException>(() => SensitivityAnalyzer.Analyse(model, data,
            new SensitivityOptions { Recipe = QuantizationPresets.Fp16, Execution = OneThread }));
        Assert.DoesNotContain('\n', fp16.Message);
        var empty = Assert.Throws<FpQuantException>(() =>
            SensitivityAnalyzer.Analyse(model, ModelInputs.FromBatches([], "no batches")));
        Assert.Contains("no batches", empty.Message);
        var missing =
            Assert.Throws<FpQuantException>(() => SensitivityAnalyzer.Analyse(tmp.File("missing.onnx"), data));
        Assert.Contains("missing.onnx", missing.Message);
    }

    /// <summary>A caller's metric: the largest absolute difference of any output value from float.</summary>
    private sealed class LargestDifference : IFidelityMetric
    {
        public List<InputBatch> Seen { get; } = new();
        public string ModelName => "chain";
        public IReadOnlyList<MetricKey> Keys { get; } =
            [new MetricKey("max_abs", false, "the largest absolute difference from float")];
        public IReadOnlyDictionary<string, double> DefaultBudget { get; } =
            new Dictionary<string, double> { ["max_abs"] = 0.1 };

        public void Measure(IReadOnlyList<InputBatch> inputs,
            IReadOnlyList<List<(string Name, FloatTensor Value)>> reference,
            IReadOnlyList<List<(string Name, FloatTensor Value)>> test, IDictionary<string, double> into)
        {
            Seen.AddRange(inputs);
            double largest = 0;
            for (int b = 0; b < reference.Count; b++)
                for (int o = 0; o < reference[b].Count; o++)
                    for (int i = 0; i < reference[b][o].Value.Data.Length; i++)
                        largest = Math.Max(largest,
                            Math.Abs(reference[b][o].Value.Data[i] - test[b][o].Value.Data[i]));
            into["max_abs"] = largest;
        }
    }
}
