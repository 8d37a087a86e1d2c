using System.Text.Json;
using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Quantization;

/// <summary>
/// <see cref="AutoQuant.Search"/> called as a C# program calls it: model files, <see cref="ModelInputs"/> data,
/// <see cref="AutoQuantOptions"/>, real ONNX Runtime. It writes the model and its sidecar only when it has a model to
/// give, returns every candidate with its fidelity, and the model it writes holds the budget on held-out data.
/// </summary>
[Trait("Category", "Quick")]
public class AutoQuantFacadeTests
{
    private static readonly ExecutionOptions OneThread = new() { Threads = 1 };

    private static readonly Dictionary<string, QuantizationOptions> StaticAndDynamic = new()
    {
        ["onnx-static"] = QuantizationPresets.OnnxStatic,
        ["onnx-dynamic"] = QuantizationPresets.OnnxDynamic,
    };

    [Fact]
    public void Search_WritesTheModelAndSidecar_ReturnsEveryCandidate_AndTheModelHoldsTheBudgetOnHeldOutData()
    {
        using var tmp = new TempDir();
        string model = tmp.File("mlp.onnx"), output = tmp.File("mlp.auto.onnx");
        OnnxModelFile.Save(TinyModels.Mlp(), model);
        var calibration = TinyModels.Batches(100, 4, 16, 64);
        var heldOut = TinyModels.Batches(200, 2, 16, 64);
        var progress = new TinyModels.ProgressLines();

        // Best effort: a model is written whether or not int8 beats float on this toy (that is the timing's call).
        var r = AutoQuant.Search(model, output, ModelInputs.FromBatches(calibration),
            new AutoQuantOptions
            {
                Budget = new Dictionary<string, double> { ["sqnr"] = 20 },
                Recipes = StaticAndDynamic,
                SmoothingAlphas = [],
                LatencyRounds = 3,
                BestEffort = true,
                Evaluation = ModelInputs.FromBatches(heldOut),
                Execution = OneThread,
            }, progress);

        // Every recipe asked for is a candidate (variants of them, e.g. smoothed, may join them), each judged on the
        // search group and on all 32 held-out samples.
        Assert.Equal(StaticAndDynamic.Keys, r.Candidates.Select(c => c.Name).Where(StaticAndDynamic.ContainsKey));
        Assert.All(r.Candidates, c => Assert.Contains(StaticAndDynamic.Keys,
            k => c.Name == k || c.Name.StartsWith(k + "+", StringComparison.Ordinal)));
        Assert.Equal(r.Candidates.Count, r.Trials);
        foreach (var c in r.Candidates)
        {
            Assert.True(c.IntegerNodes > 0, c.Name);
            Assert.Contains("cosine", c.Search.Metrics.Keys);
            Assert.NotNull(c.HeldOut);
            Assert.Equal(32, c.HeldOut.Samples);
            Assert.Equal(c.Search.Metrics["sqnr"] >= 20 && c.HeldOut.Metrics["sqnr"] >= 20, c.WithinBudget);
        }
        Assert.All(r.Candidates.Where(c => StaticAndDynamic.ContainsKey(c.Name)),
            c => Assert.True(c.WithinBudget, $"{c.Name}: search {c.Search}, held-out {c.HeldOut}"));
        Assert.NotEmpty(r.Log);
        Assert.Contains(progress.Lines, l => l.StartsWith("trial 1/", StringComparison.Ordinal));

        // The model given back: the chosen one when it beats float, else the best effort (the fastest within the
        // budget); never both.
        var given = r.Chosen ?? r.BestEffort;
        Assert.NotNull(given);
        Assert.True(given.WithinBudget, given.Name);
        Assert.True(r.Chosen == null || r.BestEffort == null);
        Assert.Equal(r.Met, r.Chosen != null);
        Assert.Contains(given, r.Candidates);
        Assert.True(r.FloatLatencySeconds > 0);
        if (r.Chosen != null) Assert.True(r.Chosen.LatencySeconds < r.FloatLatencySeconds);
        Assert.Equal(output, r.ModelPath);
        Assert.True(File.Exists(output));

        // The sidecar beside it, as OnnxQuantizer writes one.
        using (var sidecar = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(output, ".json"))))
        {
            Assert.Equal("autoquant", sidecar.RootElement.GetProperty("preset").GetString());
            Assert.Equal("mlp.onnx", sidecar.RootElement.GetProperty("sourceModel").GetString());
            var nodes = sidecar.RootElement.GetProperty("quantizedNodes").EnumerateArray().Select(e => e.GetString());
            Assert.Contains("fc1", nodes);
        }

        // The written model is the given candidate's recipe on the calibration data: OnnxQuantizer makes the same
        // graph from the same options (and the same threads: calibration runs the float model). Only the metadata
        // differs, which names the preset ("autoquant" here).
        string again = tmp.File("again.onnx");
        OnnxQuantizer.Quantize(model, again, given.Options, ModelInputs.FromBatches(calibration), OneThread);
        var written = OnnxModelFile.Load(output);
        Assert.Equal(OnnxModelFile.Load(again).Graph, written.Graph);
        Assert.Contains(written.MetadataProps, p => p.Key == "fpquant.quantization" && p.Value == "autoquant");

        // It loads in ONNX Runtime and holds the budget against float on the held-out samples.
        var reference = new List<float>();
        var quantized = new List<float>();
        foreach (var batch in heldOut)
        {
            reference.AddRange(OnnxInference.Run(model, batch, OneThread).Single().Value.Data);
            quantized.AddRange(OnnxInference.Run(output, batch, OneThread).Single().Value.Data);
        }
        double sqnr = QuantMath.Sqnr(reference.ToArray(), quantized.ToArray());
        Assert.True(sqnr >= 20, $"held-out SQNR of the written model {sqnr:F1} dB");
    }

    [Fact]
    public void Search_BudgetNoRecipeMeets_WritesNothing_AndSaysSo()
    {
        using var tmp = new TempDir();
        string model = tmp.File("cancelling.onnx"), output = tmp.File("cancelling.auto.onnx");
        OnnxModelFile.Save(AutoQuantTests.Cancelling(), model);

        var r = AutoQuant.Search(model, output, ModelInputs.FromBatches(TinyModels.Batches(300, 4, 16, 32)),
            new AutoQuantOptions
            {
                Budget = new Dictionary<string, double> { ["cosine"] = 0.99 },
                Recipes =
                    new Dictionary<string, QuantizationOptions> { ["onnx-static"] = QuantizationPresets.OnnxStatic },
                SmoothingAlphas = [],
                LatencyRounds = 1,
                Execution = OneThread,
            });

        Assert.False(r.Met, string.Join("\n", r.Log));
        Assert.Null(r.Chosen);
        Assert.Null(r.BestEffort);
        Assert.Null(r.ModelPath);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(Path.ChangeExtension(output, ".json")));
        // The recipe asked for was still judged, and its fidelity says why it failed.
        var tried = Assert.Single(r.Candidates, c => c.Name == "onnx-static");
        Assert.False(tried.WithinBudget);
        Assert.True(tried.Search.Metrics["cosine"] < 0.99, tried.Search.ToString());
        Assert.All(r.Candidates, c => Assert.False(c.WithinBudget && c.IntegerNodes > 0, c.Name));
        Assert.Equal("no candidate meets the budget", r.Log[^1]);
    }

    [Fact]
    public void Search_BadArguments_ThrowNamingTheArgument_AndWriteNothing()
    {
        using var tmp = new TempDir();
        string model = tmp.File("mlp.onnx"), output = tmp.File("out.onnx");
        OnnxModelFile.Save(TinyModels.Mlp(), model);
        var data = ModelInputs.FromBatches(TinyModels.Batches(1, 2, 8, 64));

        Assert.Equal("modelPath",
            Assert.Throws<ArgumentNullException>(() => AutoQuant.Search(null!, output, data)).ParamName);
        Assert.Equal("outputPath",
            Assert.Throws<ArgumentNullException>(() => AutoQuant.Search(model, null!, data)).ParamName);
        Assert.Equal("calibration",
            Assert.Throws<ArgumentNullException>(() => AutoQuant.Search(model, output, null!)).ParamName);

        void Fails(AutoQuantOptions options, params string[] named)
        {
            var e = Assert.Throws<FpQuantException>(() => AutoQuant.Search(model, output, data, options));
            foreach (var n in named) Assert.Contains(n, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.DoesNotContain("--", e.Message);
        }
        Fails(new AutoQuantOptions { Budget = new Dictionary<string, double> { ["accuracy"] = 0.9 } },
            "Budget", "'accuracy'", "sqnr", "cosine");
        Fails(new AutoQuantOptions { Budget = new Dictionary<string, double> { ["sqnr"] = double.NaN } },
            "Budget", "'sqnr'");
        Fails(new AutoQuantOptions { SearchBatches = 0 }, "SearchBatches");
        Fails(new AutoQuantOptions { LatencyRounds = 0 }, "LatencyRounds");
        Fails(new AutoQuantOptions { MaxTrials = 0 }, "MaxTrials");
        Fails(new AutoQuantOptions { Execution = new ExecutionOptions { Threads = -1 } }, "Threads");
        var missing = Assert.Throws<FpQuantException>(() =>
            AutoQuant.Search(tmp.File("missing.onnx"), output, data));
        Assert.Contains("missing.onnx", missing.Message);
        Assert.False(File.Exists(output));
    }
}
