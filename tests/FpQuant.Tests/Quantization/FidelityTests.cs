using FpQuant.Core;
using FpQuant.Pipeline;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Quantization;

[Trait("Category", "Heavy")]
public class FidelityTests
{
    private static List<(string, FloatTensor)> Out(string name, int[] shape, float[] data) =>
        new() { (name, new FloatTensor(shape, data)) };
    private static Dictionary<string, InputTensor> Batch(int n) =>
        new() { ["x"] = new InputTensor(new[] { n, 1 }, new float[n]) };

    [Fact]
    public void Logits_Top1AndTop5_PerSample()
    {
        // 2 samples x 6 classes. Sample 0: the quantized top class is the float second (top-1 differs, top-5 holds);
        // sample 1: the quantized top class is the float last (both differ).
        var r = new float[] { 6, 5, 4, 3, 2, 1, 6, 5, 4, 3, 2, 1 };
        var t = new float[] { 5, 6, 4, 3, 2, 1, 1, 5, 4, 3, 2, 6 };
        var f = OutputFidelity.Compare(new[] { Batch(2) }, new[] { Out("logits", new[] { 2, 6 }, r) },
            new[] { Out("logits", new[] { 2, 6 }, t) });
        Assert.Equal(0.0, f.Metrics["top1"]);
        Assert.Equal(0.5, f.Metrics["top5"]);
        var same = OutputFidelity.Compare(new[] { Batch(2) }, new[] { Out("logits", new[] { 2, 6 }, r) },
            new[] { Out("logits", new[] { 2, 6 }, r) });
        Assert.Equal(1.0, same.Metrics["top1"]);
        Assert.Equal(1.0, same.Metrics["cosine"], 12);
        Assert.True(f.Metrics["cosine"] < same.Metrics["cosine"]);
    }

    [Fact]
    public void PerSampleCosine_FindsTheOneBadSample()
    {
        var r = new float[] { 1, 2, 3, 1, 2, 3, 1, 2, 3 };
        var t = new float[] { 1, 2, 3, 1, 2, 3, -1, -2, -3 };
        var f = OutputFidelity.Compare(new[] { Batch(3) }, new[] { Out("y", new[] { 3, 3, 1 }, r) },
            new[] { Out("y", new[] { 3, 3, 1 }, t) });
        Assert.Equal(-1, f.Metrics["cosine"], 9);
        Assert.Equal(1 / 3.0, f.Metrics["cosine_mean"], 9);
        Assert.False(f.Metrics.ContainsKey("top1")); // rank 3: not class logits
    }

    [Fact]
    public void TextModels_PoolOverTheAttentionMask_PaddingDoesNotCount()
    {
        // 1 sentence, 3 positions (the last is padding), hidden 2. The test differs only at the padded position.
        var inputs = new Dictionary<string, InputTensor>
        {
            ["input_ids"] = new InputTensor(new[] { 1, 3 }, new long[] { 101, 7592, 0 }),
            ["attention_mask"] = new InputTensor(new[] { 1, 3 }, new long[] { 1, 1, 0 }),
        };
        var r = new float[] { 1, 0, 0, 1, 5, 5 };
        var t = new float[] { 1, 0, 0, 1, -5, 9 };
        var f = OutputFidelity.Compare(new[] { inputs }, new[] { Out("last_hidden_state", new[] { 1, 3, 2 }, r) },
            new[] { Out("last_hidden_state", new[] { 1, 3, 2 }, t) });
        var o = Assert.Single(f.Outputs);
        Assert.Equal(1.0, o.PooledCosineMin!.Value, 12);
        Assert.True(o.CosineMin < 0.9);
        Assert.Equal(1.0, f.Metrics["cosine"], 12); // judged by the pooled embedding
        // A [N, C] output of a text model is its pooled vector, not class logits.
        var pooled = OutputFidelity.Compare(new[] { inputs },
            new[] { Out("924", new[] { 1, 2 }, new float[] { 1, 2 }) },
            new[] { Out("924", new[] { 1, 2 }, new float[] { 2, 1 }) });
        Assert.False(pooled.Metrics.ContainsKey("top1"));
    }

    [Fact]
    public void Budget_ParsesKeys_FloorsAndCeilings_RefusesUnknownKeysAndInapplicableBudgets()
    {
        var fp = new FoundationPoseMetric(FpQuant.Networks.NetworkKind.Refine, 0.2);
        var b = FidelityBudget.Parse("cosine=0.99, rot=0.5", fp.Keys);
        var f = new OutputFidelity(40, 1, new(), new() { ["sqnr"] = 40, ["cosine"] = 0.995, ["rot"] = 0.4 });
        Assert.True(b.Holds(f, fp.Keys));
        Assert.False(b.Holds(f with { Metrics = new() { ["sqnr"] = 40, ["cosine"] = 0.995, ["rot"] = 0.6 } }, fp.Keys));
        Assert.False(b.Holds(f with { Metrics = new() { ["sqnr"] = 40, ["cosine"] = 0.98, ["rot"] = 0.4 } }, fp.Keys));
        Assert.Contains("cosine",
            Assert.Throws<FpQuantException>(() => FidelityBudget.Parse("cosin=0.9", Array.Empty<MetricKey>())).Message);
        // not a generic key
        Assert.Throws<FpQuantException>(() => FidelityBudget.Parse("rot=0.5", Array.Empty<MetricKey>()));
        var top1Only = FidelityBudget.Parse("top1=1", Array.Empty<MetricKey>());
        Assert.Throws<FpQuantException>(() => top1Only.CheckApplies(f, "m.onnx"));
    }

    [Fact]
    public void FoundationPose_TranslationUsesTheScenesOwnDiameter()
    {
        // Translation fidelity is relative to the scene's own object, not to a fixed 0.2 m one: the metric
        // takes the diameter of the scene the data comes from; millimetres scale with it, % of the diameter does not.
        var scene = DemoScene.Create();
        var model = FpQuant.Networks.NetworkExport.Build(FpQuant.Networks.NetworkKind.Refine, "synthetic:0");
        var fromScene = FoundationPoseMetric.For(model, "refine.onnx", new SceneInputSource(scene, 2, 2))!;
        Assert.Equal(scene.Diameter, fromScene.Diameter);
        Assert.NotEqual(FoundationPoseMetric.DefaultDiameter, scene.Diameter);
        Assert.Equal(FoundationPoseMetric.DefaultDiameter,
            FoundationPoseMetric.For(model, "refine.onnx", new SyntheticInputSource(2, 0, 2))!.Diameter);
        Assert.Null(FoundationPoseMetric.For(FpQuant.Tests.Data.DataSourceTests.IdsPlusX(), "m", null));

        var trans = Out("trans", new[] { 1, 3 }, new float[] { 0, 0, 0 });
        trans.Add(("rot", new FloatTensor(new[] { 1, 3 }, new float[3])));
        var moved = Out("trans", new[] { 1, 3 }, new float[] { 0.1f, 0, 0 });
        moved.Add(("rot", new FloatTensor(new[] { 1, 3 }, new float[3])));
        var a = new Dictionary<string, double>();
        var b = new Dictionary<string, double>();
        fromScene.Measure(new[] { new InputBatch(Batch(1)) }, new[] { trans }, new[] { moved }, a);
        new FoundationPoseMetric(FpQuant.Networks.NetworkKind.Refine, 0.2)
            .Measure(new[] { new InputBatch(Batch(1)) }, new[] { trans }, new[] { moved }, b);
        Assert.Equal(1000 * 0.1 * scene.Diameter / 2, a["trans_mm"], 3);
        Assert.Equal(1000 * 0.1 * 0.2 / 2, b["trans_mm"], 3);
        Assert.Equal(a["trans"], b["trans"], 4);
    }

    [Fact]
    public void Sensitivity_AModelOnnxRuntimeRefuses_IsOneReadableError()
    {
        // Sessions built from model bytes go through ModelRunner's error wrapping too: ONNX Runtime's own exception
        // must not escape. A graph whose node type does not exist makes ONNX Runtime refuse the model.
        var model = TinyModels.FragileChain();
        model.Graph.Node[0].OpType = "NoSuchOp";
        var batch = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(1, 1f, 4, 16) };
        var o = new QuantizationOptions { PerChannel = false, ReduceRange = false, OpTypes = ["MatMul"] };
        var e = Assert.Throws<FpQuantException>(() => new SensitivityAnalysis(model, "broken.onnx", o,
            new InMemoryInputSource(new[] { batch }), new RuntimeSettings { IntraOpThreads = 1 }));
        Assert.Contains("broken.onnx", e.Message);
        Assert.Contains("NoSuchOp", e.Message);
    }

    [Fact]
    public void HeldOut_SplitOffTheCalibrationData_NeverCalibratesOrSearches()
    {
        var batches = Enumerable.Range(0, 8)
            .Select(i => new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random((ulong)i, 1f, 2, 16) })
            .ToList();
        var model = TinyModels.FragileChain();
        var split = EvaluationData.Split(model, "m", new InMemoryInputSource(batches), null, 2);
        Assert.Equal(2, split.HeldOut.Count);
        var calib = split.Calibration.Batches(model, "m").ToList();
        Assert.Equal(6, calib.Count);
        Assert.Equal(2, split.Search.Count);
        var heldData = split.HeldOut.Select(b => (float[])b["X"].Data).ToList();
        Assert.DoesNotContain(calib, b => heldData.Contains((float[])b["X"].Data));
        Assert.Same(batches[7]["X"].Data, split.HeldOut[1]["X"].Data);
    }
}
