using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>autoquant as a library call: every base tried, the answer is never slower than float, and a model int8
/// cannot serve gets no model at all.</summary>
[Trait("Category", "Heavy")]
public class AutoQuantTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    /// <summary>Y = X W - X W': two nearly equal projections whose difference is all the output. Each MatMul alone
    /// quantizes well; their difference is far below one int8 step of either, so no int8 recipe keeps it.</summary>
    public static ModelProto Cancelling()
    {
        var g = new GraphBuilder("cancelling");
        string x = g.Input("X", DataType.Float, "N", 32);
        var w = TinyModels.Random(90, 1f, 32, 32);
        var w2 = TinyModels.Random(91, 0.002f, 32, 32);
        for (int i = 0; i < w2.Data.Length; i++) w2.Data[i] += w.Data[i];
        string a = g.Node("MatMul", "a", new[] { x, g.Initializer("wa", w) });
        string b = g.Node("MatMul", "b", new[] { x, g.Initializer("wb", w2) });
        g.NodeMulti("Sub", "diff", new[] { a, b }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", 32);
        return g.Build();
    }

    private static EvaluationData Data(ulong seed, int width)
    {
        Dictionary<string, InputTensor> Batch(ulong s)
        {
            var t = TinyModels.Random(s, 2f, 32, width);
            return new Dictionary<string, InputTensor> { ["X"] = new InputTensor(t.Shape, t.Data) };
        }
        var calib = new[] { Batch(seed), Batch(seed + 1) };
        return new EvaluationData(new InMemoryInputSource(calib), calib.Take(1).ToList(), new[] { Batch(seed + 7) },
            "held-out batch");
    }

    [Fact]
    public void NoInt8RecipeKeepsTheOutput_NothingIsChosen_NoModel()
    {
        var request = new AutoQuantRequest { Budget = FidelityBudget.Parse("cosine=0.99", Array.Empty<MetricKey>()),
            LatencyRounds = 3, SmoothingPerLayer = true };
        var r = AutoQuant.Run(Cancelling(), "cancelling.onnx", Data(1, 32), request, Cpu);
        Assert.False(r.Met, string.Join("\n", r.Log));
        Assert.Null(r.Chosen);
        Assert.Null(r.Model);
        // Every base that applies to a MatMul model, each with and without smoothing, was tried; the layer search too.
        foreach (var name in new[] { "static", "static-compute", "dynamic-per-channel", "static+smooth0.5",
            "dynamic-per-channel+smooth0.8", "static-compute+smooth-per-layer",
            "dynamic-per-channel+smooth-per-layer" })
            Assert.Contains(r.Candidates, c => c.Name == name);
        Assert.All(r.Candidates, c => Assert.False(c.WithinBudget && c.IntegerNodes > 0, c.Name));
        // With --best-effort the most faithful int8 candidate is built, and still not called a success.
        var effort =
            AutoQuant.Run(Cancelling(), "cancelling.onnx", Data(1, 32), request with { BestEffort = true }, Cpu);
        Assert.False(effort.Met);
        Assert.NotNull(effort.Model);
        Assert.NotNull(effort.BestEffort);
    }

    [Fact]
    public void MaxTrials_BoundsTheSearch()
    {
        var request = new AutoQuantRequest { Budget = FidelityBudget.Parse("cosine=0.99", Array.Empty<MetricKey>()),
            MaxTrials = 2, LatencyRounds = 1 };
        var r = AutoQuant.Run(Cancelling(), "cancelling.onnx", Data(1, 32), request, Cpu);
        Assert.Equal(2, r.Trials);
        Assert.Equal(2, r.Candidates.Count);
        Assert.Contains(r.Log, l => l.Contains("MaxTrials 2"));
    }

    [Fact]
    public void TheChoice_IsWithinBudget_AndMeasuredFasterThanFloat()
    {
        var request = new AutoQuantRequest { Budget = FidelityBudget.Parse("sqnr=20", Array.Empty<MetricKey>()),
            LatencyRounds = 3, SmoothingAlphas = [0.5] };
        var r = AutoQuant.Run(TinyModels.FragileChain(), "fragile.onnx", Data(3, 16), request, Cpu);
        Assert.True(r.FloatLatencySeconds > 0);
        // Every candidate within the budget was timed in the same run as float; none was assumed.
        Assert.All(r.Candidates.Where(c => c.WithinBudget && c.IntegerNodes > 0),
            c => Assert.True(c.LatencySeconds > 0, c.Name));
        if (r.Chosen is { } chosen)
        {
            Assert.True(chosen.WithinBudget);
            Assert.True(chosen.LatencySeconds < r.FloatLatencySeconds);
            Assert.All(r.Candidates.Where(c => c.WithinBudget && c.LatencySeconds < r.FloatLatencySeconds),
                c => Assert.True(chosen.LatencySeconds <= c.LatencySeconds));
            Assert.NotNull(r.Model);
        }
        else Assert.Null(r.Model);
    }

    [Fact]
    public void Bases_ForAConvAndLinearModel_IncludeTheHybrid_ConvsStaticLinearsDynamic()
    {
        using var tmp = new TempDir();
        var g = new GraphBuilder("conv-linear");
        string x = g.Input("X", DataType.Float, "N", 3, 8, 8);
        string c = g.Node("Conv", "conv",
            new[] { x, g.Initializer("conv.weight", TinyModels.Random(1, 0.4f, 4, 3, 3, 3)),
                g.Initializer("conv.bias", TinyModels.Random(2, 0.1f, 4)) },
            ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        string f = g.Node("Flatten", "flatten", new[] { g.Node("Relu", "relu", new[] { c }) });
        g.NodeMulti("Gemm", "fc",
            new[] { f, g.Initializer("fc.weight", TinyModels.Random(3, 0.1f, 10, 256)),
                g.Initializer("fc.bias", TinyModels.Random(4, 0.1f, 10)) }, new[] { "Y" }, ("transB", 1L));
        g.Output("Y", DataType.Float, "N", 10);
        var m = g.Build();
        var bases = AutoQuantBases.For(m.Graph);
        Assert.Equal(new[] { "static", "static-compute", "static-weighted", "dynamic-per-channel", "hybrid" },
            bases.Select(b => b.Name));
        var feed = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(5, 2f, 8, 3, 8, 8) };
        var r = ModelQuantizer.Quantize(m, "conv-linear",
            bases.Single(b => b.Name == "hybrid").Options with { ReduceRange = false }, null,
            new InMemoryInputSource(new[] { feed }), Cpu);
        Assert.Equal(FpQuant.Quantization.Mixed.NodeMode.Static, r.NodeModes!["conv"]);
        Assert.Equal(FpQuant.Quantization.Mixed.NodeMode.Static, r.NodeModes["relu"]);
        Assert.Equal(FpQuant.Quantization.Mixed.NodeMode.Dynamic, r.NodeModes["fc"]);
        var a = TinyModels.Run(m, feed, tmp.Path, "float")[0].Value.Data;
        var b = TinyModels.Run(r.Model, feed, tmp.Path, "hybrid")[0].Value.Data;
        Assert.True(QuantMath.Sqnr(a, b) > 25, $"hybrid SQNR {QuantMath.Sqnr(a, b):F1} dB");
    }
}
