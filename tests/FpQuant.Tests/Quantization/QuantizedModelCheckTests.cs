using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Runtime;
using FpQuant.Tests.Cli;
using FpQuant.Tests.Support;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>The check every quantization result passes before it is written: a result that breaks ONNX's rules, does
/// not load, fails to run where the float model runs, or changes an output's shape is refused in one line naming the
/// node; a model with nothing to quantize comes back as given, with a note.</summary>
[Collection(CliCollection.Name)]
[Trait("Category", "Quick")]
public sealed class QuantizedModelCheckTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    /// <summary>y = x + b, or Reshape(x, shape) with <paramref name="reshape"/>: what a rewrite might break.</summary>
    private static ModelProto Model(Dim batch, int[] biasShape, long[]? reshape = null)
    {
        var g = new GraphBuilder("m");
        string x = g.Input("x", DataType.Float, batch, 4);
        if (reshape != null)
        {
            g.NodeMulti("Reshape", "reshape", new[] { x, g.ConstantInt64("shape", reshape) }, new[] { "y" });
            g.Output("y", DataType.Float, "A", "B");
        }
        else
        {
            g.NodeMulti("Add", "add", new[] { x, g.Initializer("b", new FloatTensor(biasShape)) }, new[] { "y" });
            g.Output("y", DataType.Float, batch, 4);
        }
        return g.Build();
    }

    private static string Refusal(ModelProto model, ModelProto result)
    {
        var check = QuantizedModelCheck.ForFloat(model, "m.onnx", Cpu);
        var e = Assert.Throws<FpQuantException>(() => check.Check(result, "onnx-dynamic", float16Outputs: false));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("the onnx-dynamic result for 'm.onnx'", e.Message);
        Assert.Contains("nothing was written", e.Message);
        return e.Message;
    }

    [Fact]
    public void AResultThatDoesNotLoad_IsRefusedNamingTheNode()
    {
        string e = Refusal(Model(1, [4]), Model(1, [3]));
        Assert.Contains("does not load in ONNX Runtime at node 'add' (Add)", e);
    }

    [Fact]
    public void AResultThatFailsToRun_IsRefusedNamingTheNode()
    {
        // Loads (the batch is dynamic), but 4 values do not reshape to 3 rows.
        string e = Refusal(Model("N", [4], reshape: [2, -1]), Model("N", [4], reshape: [3, -1]));
        Assert.Contains("fails to run where the float model runs", e);
        Assert.Contains("reshape", e);
    }

    [Fact]
    public void AResultWithAnotherOutputShape_IsRefusedNamingTheOutputAndItsNode()
    {
        // The bias as [4 x 1]: it loads and runs, but y becomes [4 x 4] where the float model gives [1 x 4].
        string e = Refusal(Model("N", [4]), Model("N", [4, 1]));
        Assert.Contains("gives output 'y' (from node 'add', Add) shape [4x4] where the float model gives [1x4]", e);
    }

    [Fact]
    public void AResultThatBreaksOnnxRules_IsRefused()
    {
        var broken = Model(1, [4]);
        broken.Graph.Node[0].Input[1] = "missing";
        string e = Refusal(Model(1, [4]), broken);
        Assert.Contains("breaks ONNX's rules", e);
        Assert.Contains("'missing'", e);
    }

    [Fact]
    public void Fp16WithFloat16InputsAndOutputs_PassesTheCheck()
    {
        // The probe is given to the result in its own input type, and float16 outputs are what was asked.
        var r = ModelQuantizer.Quantize(TinyModels.Conv(relu: true), "conv.onnx",
            new QuantizationOptions { Mode = QuantMode.Fp16, Fp16KeepIoTypes = false }, null, null, Cpu);
        Assert.Equal((int)DataType.Float16, r.Model.Graph.Input[0].Type.TensorType.ElemType);
        Assert.Equal((int)DataType.Float16, r.Model.Graph.Output[0].Type.TensorType.ElemType);
    }

    [Fact]
    public void NothingToQuantize_IsANote_AndTheFileIsTheInputsOwnBytes()
    {
        using var tmp = new TempDir();
        var g = new GraphBuilder("relu");
        g.NodeMulti("Relu", "relu", new[] { g.Input("x", DataType.Float, 1, 4) }, new[] { "y" });
        g.Output("y", DataType.Float, 1, 4);
        string model = tmp.File("relu.onnx");
        OnnxModelFile.Save(g.Build(), model);
        foreach (var preset in new[] { "weights-int8", "onnx-dynamic" })
        {
            var r =
                CliHarness.Run("quantize", "--model", model, "--preset", preset, "--out", tmp.File($"{preset}.onnx"));
            Assert.Equal(0, r.Code);
            var note = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries),
                l => l.Contains("nothing was quantized"));
            Assert.StartsWith("note: nothing was quantized: no node of", note);
            Assert.Equal(File.ReadAllBytes(model), File.ReadAllBytes(tmp.File($"{preset}.onnx")));
        }
    }
}
