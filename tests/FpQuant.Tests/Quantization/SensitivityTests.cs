using FpQuant.Core;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Quantization;

[Trait("Category", "Quick")]
public class SensitivityTests
{
    private static SensitivityAnalysis Analysis()
    {
        var m = TinyModels.FragileChain();
        var batch = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(21, 1f, 64, 16) };
        var o = new QuantizationOptions { PerChannel = false, ReduceRange = false, OpTypes = ["MatMul", "Relu"] };
        return new SensitivityAnalysis(m, "fragile", o, new InMemoryInputSource(new[] { batch }),
            new RuntimeSettings { IntraOpThreads = 1 });
    }

    [Fact]
    public void Sensitivity_RanksTheFragileLayerFirst()
    {
        var sa = Analysis();
        var report = sa.Analyze();
        // The node groups, then the Q/DQ pairs between them (and of the input) as tensor points of their own.
        var groups = report.Layers.Where(l => sa.TensorsOf(l.Layer).Count == 0).ToList();
        Assert.Equal(new[] { "layer0", "layer1", "layer2" }, groups.Select(l => l.Layer).OrderBy(x => x));
        Assert.Equal(new[] { "tensor X", "tensor layer0.relu", "tensor layer1.relu" },
            report.Layers.Except(groups).Select(l => l.Layer).OrderBy(x => x.Length).ThenBy(x => x));
        Assert.Equal("layer1", report.Layers[0].Layer);
        var fragile = report.Layers[0];
        var others = groups.Skip(1).ToList();
        Assert.True(fragile.OnlyThisQuantized.SqnrDb + 10 < others.Min(l => l.OnlyThisQuantized.SqnrDb),
            $"fragile {fragile.OnlyThisQuantized.SqnrDb:F1} dB vs others " +
            $"{string.Join(", ", others.Select(l => l.OnlyThisQuantized.SqnrDb.ToString("F1")))}");
        // Leaving the fragile layer float repairs most of the damage; leaving another float does not.
        Assert.True(fragile.AllButThisQuantized.SqnrDb > others.Max(l => l.AllButThisQuantized.SqnrDb) + 10);
        Assert.NotEmpty(report.Tensors);
        Assert.True(report.Tensors.First().SqnrDb <= report.Tensors.Last().SqnrDb);
    }

    [Fact]
    public void AutoQuant_KeepsTheFragileLayerFloat_QuantizesTheRest()
    {
        var sa = Analysis();
        var report = sa.Analyze();
        var r = AutoQuantizer.Search(sa, report, new FidelityBudget(new Dictionary<string, double> { ["sqnr"] = 25 }));
        Assert.True(r.WithinBudget, string.Join("\n", r.Log));
        Assert.Equal(new[] { "layer1" }, r.FloatLayers);
        var model = sa.Build(r.Options);
        var matmuls = model.Graph.Node.Where(n => n.OpType == "MatMul").ToList();
        Assert.Contains(model.Graph.Initializer,
            i => i.Name == "layer1.weight" && i.DataType == (int)global::Onnx.TensorProto.Types.DataType.Float);
        Assert.Contains(model.Graph.Initializer, i => i.Name == "layer0.weight/quantized");
        Assert.Contains(model.Graph.Initializer, i => i.Name == "layer2.weight/quantized");
        Assert.True(r.LatencySeconds > 0 && r.FloatLatencySeconds > 0);
    }
}
