using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Tests.Support;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>The copy of a model with extra outputs that calibration and sensitivity analysis run.</summary>
[Trait("Category", "Quick")]
public class ExtraOutputsTests
{
    [Fact]
    public void Copy_OutputsInnerTensorsAndInputs_AndLeavesTheModelAlone()
    {
        using var tmp = new TempDir();
        var g = new GraphBuilder("chain");
        string x = g.Input("X", DataType.Float, "N", 4);
        string h = g.Node("Relu", "relu", new[] { x });
        g.NodeMulti("Sigmoid", "sigmoid", new[] { h }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", 4);
        var model = g.Build();
        model.Graph.ValueInfo.Add(GraphBuilder.ValueInfo(h, DataType.Float, new Dim[] { "N", 4 }));
        string before = model.ToString();

        var (copy, tensorOf) = ExtraOutputs.Copy(model, new[] { h, x, "Y" }, "probe");

        Assert.Equal(before, model.ToString());
        Assert.Equal(new Dictionary<string, string> { [h] = h, ["X/probe_copy"] = x, ["Y"] = "Y" }, tensorOf);
        Assert.Equal(new[] { "Y", h, "X/probe_copy" }, copy.Graph.Output.Select(o => o.Name));
        Assert.Contains(copy.Graph.Node, n => n.OpType == "Identity" && n.Name == "X/probe_identity");
        Assert.Empty(copy.Graph.ValueInfo);
        var input = new FloatTensor(new[] { 1, 4 }, new[] { -2f, -0.5f, 0.5f, 3f });
        var outputs = TinyModels.Run(copy, new Dictionary<string, FloatTensor> { ["X"] = input }, tmp.Path, "copy")
            .ToDictionary(o => o.Name, o => o.Value.Data);
        Assert.Equal(new[] { 0f, 0f, 0.5f, 3f }, outputs[h]);
        Assert.Equal(input.Data, outputs["X/probe_copy"]);
    }
}
