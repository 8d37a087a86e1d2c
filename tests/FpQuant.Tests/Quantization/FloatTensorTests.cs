using System.Text.Json;
using Google.Protobuf;
using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using FpQuant.Runtime;
using FpQuant.Tests.Cli;
using FpQuant.Tests.Support;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>The Q/DQ of one activation tensor as a quantization point of its own (FloatTensors): kept float in both
/// formats, refused when it names nothing, ranked by the sensitivity analysis and reverted by the layer
/// search.</summary>
[Trait("Category", "Quick")]
[Collection(CliCollection.Name)]
public class FloatTensorTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    private static FloatTensor Centered(ulong seed, float scale, params int[] shape)
    {
        var t = TinyModels.Random(seed, 2 * scale, shape);
        for (int i = 0; i < t.Data.Length; i++) t.Data[i] -= scale;
        return t;
    }

    /// <summary>X -> fc0 -> A -> fc1 -> H, H read by fc2 (Y1) and fc3 (Y2), Y = Y1 + Y2 (node "sum"). H's channel 0
    /// is an outlier (fc1's column 0 is 60x the others) that fc2 and fc3 barely read, so one per-tensor scale for H
    /// wastes its steps on a channel that hardly matters and crushes the rest.</summary>
    private static ModelProto OutlierModel()
    {
        var g = new GraphBuilder("outlier");
        string x = g.Input("X", DataType.Float, "N", 16);
        string a = g.Node("MatMul", "fc0", new[] { x, g.Initializer("w0", Centered(70, 0.3f, 16, 16)) });
        var w1 = Centered(71, 0.3f, 16, 16);
        for (int r = 0; r < 16; r++) w1.Data[r * 16] *= 60f;
        g.NodeMulti("MatMul", "fc1", new[] { a, g.Initializer("w1", w1) }, new[] { "H" });
        foreach (var (name, seed, output) in new[] { ("fc2", 72UL, "Y1"), ("fc3", 73UL, "Y2") })
        {
            var w = Centered(seed, 0.3f, 16, 8);
            for (int c = 0; c < 8; c++) w.Data[c] *= 0.01f; // row 0 reads the outlier channel
            g.NodeMulti("MatMul", name, new[] { "H", g.Initializer($"{name}.w", w) }, new[] { output });
        }
        g.NodeMulti("Add", "sum", new[] { "Y1", "Y2" }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", 8);
        return g.Build();
    }

    private static Dictionary<string, InputTensor> Batch(ulong seed)
    {
        var t = Centered(seed, 1f, 32, 16);
        return new Dictionary<string, InputTensor> { ["X"] = new InputTensor(t.Shape, t.Data) };
    }

    private static QuantizationResult Quantize(QuantizationOptions o) =>
        ModelQuantizer.Quantize(OutlierModel(), "outlier", o with { ReduceRange = false }, null,
            new InMemoryInputSource(new[] { Batch(1) }), Cpu);

    /// <summary>Largest absolute difference from the float model on the calibration batch (a batch beyond the
    /// calibrated ranges would measure clipping, not the pair).</summary>
    private static double MaxError(ModelProto quantized)
    {
        var batch = Batch(1);
        using var f = new ModelRunner(OutlierModel().ToByteArray(), "float", Cpu);
        using var q = new ModelRunner(quantized.ToByteArray(), "quantized", Cpu);
        var a = f.Run(batch);
        var b = q.Run(batch);
        double worst = 0;
        for (int i = 0; i < a[0].Value.Data.Length; i++)
            worst = Math.Max(worst, Math.Abs(a[0].Value.Data[i] - b[0].Value.Data[i]));
        return worst;
    }

    private static Dictionary<string, int> OpCounts(ModelProto m) =>
        m.Graph.Node.GroupBy(n => n.OpType).ToDictionary(x => x.Key, x => x.Count());

    [Fact]
    public void Qdq_FloatTensorReadByAnElementwiseNode_RemovesExactlyItsPair()
    {
        var all = Quantize(new QuantizationOptions());
        var kept = Quantize(new QuantizationOptions { FloatTensors = ["Y1"] });

        var before = OpCounts(all.Model);
        var after = OpCounts(kept.Model);
        Assert.Equal(before["QuantizeLinear"] - 1, after["QuantizeLinear"]);
        Assert.Equal(before["DequantizeLinear"] - 1, after["DequantizeLinear"]);
        Assert.Equal(before.Where(kv => kv.Key is not ("QuantizeLinear" or "DequantizeLinear")),
            after.Where(kv => kv.Key is not ("QuantizeLinear" or "DequantizeLinear")));
        Assert.Contains(all.Model.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "Y1");
        Assert.DoesNotContain(kept.Model.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "Y1");
        // The Add still reads Y2 through its pair and Y1 itself.
        var sum = Assert.Single(kept.Model.Graph.Node, n => n.Name == "sum");
        Assert.Equal(new[] { "Y1", "Y2/dq" }, sum.Input);
        Assert.DoesNotContain("Y1", kept.Params.Keys);
        Assert.Equal(all.QuantizedNodes, kept.QuantizedNodes);
        Assert.True(MaxError(kept.Model) <= MaxError(all.Model) * 1.01);
    }

    [Fact]
    public void Qdq_OutlierTensorKeptFloat_LosesItsPair_ItsComputeReadersStayFloat_AndTheOutputMovesTowardFloat()
    {
        var all = Quantize(new QuantizationOptions());
        var kept = Quantize(new QuantizationOptions { FloatTensors = ["H"] });

        Assert.Contains(all.Model.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "H");
        Assert.DoesNotContain(kept.Model.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "H");
        Assert.DoesNotContain("H", kept.Params.Keys);
        // Fed a float activation and a dequantized weight, ONNX Runtime would quantize H itself: its readers are
        // float MatMuls on their float weights; the rest stays quantized.
        Assert.All(kept.Model.Graph.Node.Where(n => n.Name is "fc2" or "fc3"),
            n => Assert.Equal(new[] { "H", $"{n.Name}.w" }, n.Input));
        Assert.Equal(new[] { "fc0", "fc1", "sum" }, kept.QuantizedNodes);
        Assert.Equal(OpCounts(all.Model)["QuantizeLinear"] - 1, OpCounts(kept.Model)["QuantizeLinear"]);

        double withPair = MaxError(all.Model), floatH = MaxError(kept.Model);
        Assert.True(floatH <= withPair, $"H float {floatH:G4} vs quantized {withPair:G4}");
        Assert.True(floatH < 0.5 * withPair, $"the outlier should dominate: {floatH:G4} vs {withPair:G4}");
    }

    [Fact]
    public void QOperator_NodesTouchingTheFloatTensor_StayFloat_AndTheModelRuns()
    {
        var o = new QuantizationOptions { Format = QuantFormat.QOperator };
        var all = Quantize(o);
        var kept = Quantize(o with { FloatTensors = ["H"] });

        Assert.Equal(4, all.Model.Graph.Node.Count(n => n.OpType == "QLinearMatMul"));
        // fc1 writes H and fc2, fc3 read it: float MatMuls; fc0 and the Add stay integer.
        Assert.Equal(new[] { "fc0" }, kept.Model.Graph.Node.Where(n => n.OpType == "QLinearMatMul")
            .Select(n => n.Name));
        Assert.Equal(new[] { "fc1", "fc2", "fc3" }, kept.Model.Graph.Node.Where(n => n.OpType == "MatMul")
            .Select(n => n.Name));
        Assert.Single(kept.Model.Graph.Node, n => n.OpType == "QLinearAdd");
        Assert.Equal(new[] { "fc0", "sum" }, kept.QuantizedNodes);
        double withPair = MaxError(all.Model), floatH = MaxError(kept.Model);
        Assert.True(floatH <= withPair, $"H float {floatH:G4} vs quantized {withPair:G4}");
    }

    [Fact]
    public void Glob_Sidecar_AndDeterminism()
    {
        using var tmp = new TempDir();
        var o = new QuantizationOptions { FloatTensors = ["H*"] };
        string first = tmp.File("a.onnx"), second = tmp.File("b.onnx");
        ModelQuantizer.Save(Quantize(o), first, "outlier.onnx");
        ModelQuantizer.Save(Quantize(o), second, "outlier.onnx");

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        Assert.Equal(File.ReadAllBytes(Path.ChangeExtension(first, ".json")),
            File.ReadAllBytes(Path.ChangeExtension(second, ".json")));
        using var sidecar = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(first, ".json")));
        Assert.Equal(new[] { "H" },
            sidecar.RootElement.GetProperty("floatTensors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(new[] { "H*" },
            sidecar.RootElement.GetProperty("options").GetProperty("floatTensors").EnumerateArray()
                .Select(e => e.GetString()));
        Assert.DoesNotContain(OnnxModelFile.Load(first).Graph.Node,
            n => n.OpType == "QuantizeLinear" && n.Input[0] == "H");
    }

    [Theory]
    [InlineData("Hx", "names no activation tensor")]
    [InlineData("w1", "is a constant")]
    public void UnknownOrConstantName_OneErrorNamingTheTensorAndTheOption(string name, string why)
    {
        var e = Assert.Throws<FpQuantException>(() => Quantize(new QuantizationOptions { FloatTensors = [name] }));
        Assert.Contains($"FloatTensors '{name}'", e.Message);
        Assert.Contains(why, e.Message);
        Assert.Contains("outlier", e.Message);
    }

    [Fact]
    public void PresetFile_ReadsFloatTensors_AndRefusesNull()
    {
        Assert.Equal(new[] { "H", "a*" },
            PresetFile.Parse("""{"mode": "static", "floatTensors": ["H", "a*"]}""", "p.json").FloatTensors);
        var e = Assert.Throws<FpQuantException>(() => PresetFile.Parse("""{"floatTensors": null}""", "p.json"));
        Assert.Contains("floatTensors", e.Message);
    }

    [Fact]
    public void Cli_FloatTensorsFlag_ReachesTheQuantizer_AndAnUnknownNameExits2()
    {
        using var tmp = new TempDir();
        string model = tmp.File("outlier.onnx"), calibration = tmp.File("calib"), output = tmp.File("q.onnx");
        OnnxModelFile.Save(OutlierModel(), model);
        Directory.CreateDirectory(calibration);
        NpyFile.Write(Path.Combine(calibration, "X.npy"), Batch(1)["X"]);

        var ok = CliHarness.Run("quantize", "--model", model, "--out", output, "--calibration", $"npy:{calibration}",
            "--float-tensors", "H");
        Assert.True(ok.Code == 0, ok.Err);
        Assert.DoesNotContain(OnnxModelFile.Load(output).Graph.Node,
            n => n.OpType == "QuantizeLinear" && n.Input[0] == "H");
        Assert.Contains(OnnxModelFile.Load(output).Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "X");
        Assert.Contains("kept float", ok.Out);
        Assert.Contains("\"floatTensors\"", File.ReadAllText(Path.ChangeExtension(output, ".json")));

        var bad = CliHarness.Run("quantize", "--model", model, "--out", tmp.File("bad.onnx"), "--calibration",
            $"npy:{calibration}", "--float-tensors", "nope");
        CliHarness.AssertOneLineError(bad, "--float-tensors 'nope'", "names no activation tensor");
        Assert.False(File.Exists(tmp.File("bad.onnx")));
    }

    [Fact]
    public void Sensitivity_RanksTensorPoints_WithTheirReaders_AndTheSearchRevertsOne()
    {
        var calib = new[] { Batch(1) };
        var data = new EvaluationData(new InMemoryInputSource(calib), calib.ToList(), new[] { Batch(9) },
            "held-out batch");
        var sa = new SensitivityAnalysis(OutlierModel(), "outlier", new QuantizationOptions { ReduceRange = false },
            data, Cpu);
        var report = sa.Analyze();

        // H sits between fc1's group and its two readers' groups: a point of its own, listed with its readers. A
        // (fc0 -> fc1), Y1 and Y2 (into the Add) and the input X are boundaries too.
        var h = Assert.Single(report.Layers, l => l.Layer == "tensor H");
        Assert.Equal(new[] { "fc2", "fc3" }, h.Nodes);
        foreach (var t in new[] { "X", "fc0", "Y1", "Y2" })
            Assert.Contains(report.Layers, l => l.Layer == $"tensor {t}");
        foreach (var n in new[] { "fc0", "fc1", "fc2", "fc3", "residual sum" })
            Assert.Contains(report.Layers, l => l.Layer == n);
        Assert.Equal(new[] { "H" }, sa.TensorsOf("tensor H"));
        // Quantized alone, H's pair costs more than any single group (it feeds both outputs): ranked first.
        Assert.Equal("tensor H", report.Layers[0].Layer);
        Assert.True(h.AllButThisQuantized.SqnrDb > h.OnlyThisQuantized.SqnrDb);
        var md = SensitivityReportWriter.Markdown(report);
        Assert.Contains("| tensor H | 2: fc2, fc3 |", md);
        using var tmp = new TempDir();
        SensitivityReportWriter.Write(report, tmp.Path);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp.Path, "sensitivity.json")));
        Assert.Contains(json.RootElement.GetProperty("layers").EnumerateArray(),
            l => l.GetProperty("layer").GetString() == "tensor H"
                && l.GetProperty("nodes").EnumerateArray().Select(n => n.GetString())
                    .SequenceEqual(new[] { "fc2", "fc3" }));

        // A budget the full recipe misses and H's point alone restores.
        double budget = (report.FullyQuantized.SqnrDb + h.AllButThisQuantized.SqnrDb) / 2;
        var r = AutoQuantizer.Search(sa, report,
            new FidelityBudget(new Dictionary<string, double> { ["sqnr"] = budget }));
        Assert.True(r.WithinBudget, string.Join("\n", r.Log));
        Assert.Equal(new[] { "tensor H" }, r.FloatLayers);
        Assert.Contains("H", r.Options.FloatTensors);
        var model = sa.Build(r.Options);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "H");
        Assert.Contains(model.Graph.Initializer, i => i.Name == "w0/quantized_axis1");
        Assert.Contains(model.Graph.Initializer, i => i.Name == "fc2.w");
    }

    [Fact]
    public void FoldedRelu_SharesItsProducersPair_ItsPointKeepsBothTensorsFloat()
    {
        var x = Centered(80, 1f, 2, 3, 8, 8);
        var batch = new Dictionary<string, InputTensor> { ["X"] = new InputTensor(x.Shape, x.Data) };
        var sa = new SensitivityAnalysis(TinyModels.Conv(relu: true), "conv",
            new QuantizationOptions { ReduceRange = false }, new InMemoryInputSource(new[] { batch }), Cpu);
        var full = sa.Build(sa.Options);
        // The conv's output carries the Relu's range and stands for it: one pair, read through the folded Relu.
        Assert.Contains(full.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "conv");
        Assert.DoesNotContain(full.Graph.Node, n => n.Name == "relu");

        var groups = sa.Groups();
        var point = Assert.Single(groups, g => g.Kind == QuantizationGroups.Tensor && g.Name == "tensor relu");
        Assert.Equal(new[] { "conv", "relu" }, point.Tensors);
        Assert.Contains(groups, g => g.Kind == QuantizationGroups.Tensor && g.Name == "tensor X");
        var names = groups.Select(g => g.Name).ToList();
        var kept = sa.Build(sa.KeepFloat(sa.Options, ["tensor relu"],
            groups.ToDictionary(g => g.Name, g => g.Nodes), names));
        Assert.DoesNotContain(kept.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] is "conv" or "relu");
        Assert.Contains(kept.Graph.Node, n => n.Name == "relu" && n.OpType == "Relu");
        Assert.Contains(kept.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "X");
        using var runner = new ModelRunner(kept.ToByteArray(), "conv with its Relu output float", Cpu);
        Assert.All(runner.Run(batch)[0].Value.Data, v => Assert.True(v >= 0));
    }

    [Fact]
    public void AutoQuant_LayerSearch_RevertsTheTensorPoint_OrLeavesPointsOutWhenTrialsDoNotAllowThem()
    {
        var calib = new[] { Batch(1) };
        var data = new EvaluationData(new InMemoryInputSource(calib), calib.ToList(), new[] { Batch(1) },
            "the calibration batch again");
        AutoQuantOutcome Run(int maxTrials) => AutoQuant.Run(OutlierModel(), "outlier.onnx", data,
            new AutoQuantRequest
            {
                Budget = new FidelityBudget(new Dictionary<string, double> { ["sqnr"] = 40 }),
                Bases = [("static", new QuantizationOptions { ReduceRange = false })], SmoothingAlphas = [],
                MaxTrials = maxTrials, LatencyRounds = 1,
            }, Cpu);

        // 5 node groups and 5 tensor points: the search ranks all 10 and floats H's pair alone.
        var r = Run(200);
        var searched = Assert.Single(r.Candidates, c => c.FloatLayers.Count > 0);
        Assert.Equal(new[] { "tensor H" }, searched.FloatLayers);
        Assert.Equal(new[] { "H" }, searched.Options.FloatTensors);
        Assert.True(searched.WithinBudget, string.Join("\n", r.Log));
        // 1 candidate + 2 x 10 + 1 trials exceed 15; the 5 node groups alone fit.
        var small = Run(15);
        Assert.Contains(small.Log, l => l.Contains("tensor points of static left out", StringComparison.Ordinal));
        Assert.All(small.Candidates.SelectMany(c => c.FloatLayers),
            l => Assert.False(l.StartsWith("tensor ", StringComparison.Ordinal), l));
        Assert.Contains(small.Candidates, c => c.FloatLayers.Count > 0);
    }

    [Fact]
    public void Mixed_StaticAndDynamicNodesReadingTheFloatTensor_StayFloat()
    {
        var o = new QuantizationOptions
        {
            Modes = [new FpQuant.Quantization.Mixed.ModeRule { Mode = FpQuant.Quantization.Mixed.NodeMode.Static,
                    Nodes = ["fc0", "fc1", "fc2"] },
                new FpQuant.Quantization.Mixed.ModeRule { Mode = FpQuant.Quantization.Mixed.NodeMode.Dynamic,
                    Nodes = ["fc3"] }],
        };
        var all = Quantize(o);
        var kept = Quantize(o with { FloatTensors = ["H"] });

        Assert.Equal(FpQuant.Quantization.Mixed.NodeMode.Dynamic, all.NodeModes!["fc3"]);
        // fc2 (static) and fc3 (dynamic, which would quantize H at run time) read H: both float.
        Assert.Equal(FpQuant.Quantization.Mixed.NodeMode.Float, kept.NodeModes!["fc2"]);
        Assert.Equal(FpQuant.Quantization.Mixed.NodeMode.Float, kept.NodeModes!["fc3"]);
        Assert.Equal(FpQuant.Quantization.Mixed.NodeMode.Static, kept.NodeModes!["fc1"]);
        Assert.DoesNotContain(kept.Model.Graph.Node, n => n.Input.Count > 0 && n.Input[0] == "H"
            && n.OpType is "QuantizeLinear" or "DynamicQuantizeLinear");
        Assert.True(MaxError(kept.Model) < MaxError(all.Model));
    }

    [Fact]
    public void TwoModelsRecipes_CombineTheirFloatTensors_LikeTheirFloatLayers()
    {
        var a = new QuantizationOptions { Exclude = ["refine/*"], FloatTensors = ["H"] };
        var b = new QuantizationOptions { Exclude = ["score/*"], FloatTensors = ["score_in"] };
        var both = AutoQuantRecipe.Combine([a, b]);
        Assert.NotNull(both);
        Assert.Equal(new[] { "H", "score_in" }, both.FloatTensors);
        Assert.Equal(new[] { "refine/*", "score/*" }, both.Exclude);
        Assert.Null(AutoQuantRecipe.Combine([a, b with { Format = QuantFormat.QOperator }]));
    }
}
