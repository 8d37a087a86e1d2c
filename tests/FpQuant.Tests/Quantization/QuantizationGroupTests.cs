using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Quantization;

/// <summary>Every quantization point is searchable: element-wise nodes too, in groups that mean something.</summary>
[Trait("Category", "Quick")]
public class QuantizationGroupTests
{
    [Fact]
    public void EveryQuantizedNode_IsInExactlyOneGroup_AttentionAndResidualGrouped()
    {
        var m = TinyEncoder.Build();
        var plan = QuantizationPlan.Make(m.Graph, QuantizationPresets.Get("onnx-static"));
        var quantized = plan.QuantizedNodes.Keys.ToList();
        var groups = QuantizationGroups.Of(m.Graph, quantized);
        Assert.Equal(quantized.OrderBy(x => x), groups.SelectMany(g => g.Nodes).OrderBy(x => x)); // each once
        var attention = Assert.Single(groups, g => g.Kind == QuantizationGroups.Attention);
        foreach (var n in new[] { "attn/q", "attn/k", "attn/v", "attn/qk", "attn/scale", "attn/softmax", "attn/pv",
            "attn/out" })
            Assert.Contains(n, attention.Nodes);
        Assert.Contains(groups,
            g => g.Kind == QuantizationGroups.ResidualNorm && g.Nodes.SequenceEqual(new[] { "residual" }));
        Assert.Contains(groups, g => g.Kind == QuantizationGroups.Compute && g.Nodes[0] == "ffn/fc1");
        // The norm's own quantized arithmetic (its Adds and Muls) is a point the search can keep float too.
        Assert.Contains(groups, g => g.Kind == QuantizationGroups.Other && g.Nodes.Contains("ln/gamma"));
    }

    [Fact]
    public void Sensitivity_RanksEveryGroup_AndTheSearchCanKeepElementwisePointsFloat()
    {
        var m = TinyEncoder.Build(outlierChannels: true);
        var batch = TinyEncoder.Batch(1, 16);
        var sa = new SensitivityAnalysis(m, "tiny", QuantizationPresets.Get("onnx-static") with { ReduceRange = false },
            new InMemoryInputSource(new[] { batch }),
            new RuntimeSettings { IntraOpThreads = 1 });
        var report = sa.Analyze();
        Assert.Contains(report.Layers,
            l => l.Layer.StartsWith("attention", StringComparison.Ordinal) && l.Nodes.Count >= 8);
        Assert.Contains(report.Layers, l => l.Layer == "ln"); // element-wise norm arithmetic, ranked with the rest
        Assert.True(report.Layers.Zip(report.Layers.Skip(1))
            .All(p => p.First.OnlyThisQuantized.SqnrDb <= p.Second.OnlyThisQuantized.SqnrDb));
        var r = AutoQuantizer.Search(sa, report, new FidelityBudget(new Dictionary<string, double> { ["sqnr"] = 30 }));
        Assert.True(r.WithinBudget, string.Join("\n", r.Log));
        var model = sa.Build(r.Options);
        // What the search kept float is float in the model: no group it names is left with a QuantizeLinear of its
        // output.
        foreach (var g in report.Layers.Where(l => r.FloatLayers.Contains(l.Layer)))
            foreach (var n in g.Nodes)
                Assert.DoesNotContain(model.Graph.Node,
                    x => x.OpType == "QuantizeLinear" && x.Input[0] == n && g.Nodes.Count == 1);
    }
}
