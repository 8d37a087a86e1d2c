using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>Models that are already quantized: `inspect` says how, `quantize` refuses to stack a second quantization
/// in one line, and float16-stored weights behind a Cast are widened and quantized like float32 ones.</summary>
[Trait("Category", "Quick")]
public sealed class ExistingQuantizationTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };
    private static readonly string[] Presets = ["onnx-dynamic", "onnx-static", "fp16", "weights-int8"];

    private static InMemoryInputSource Calib(string input, params int[] shape) =>
        new(new[] { new Dictionary<string, FloatTensor> { [input] = TinyModels.Random(9, 1f, shape) } });

    private static ModelProto Quantized(ModelProto m, QuantizationOptions o, InMemoryInputSource calib) =>
        ModelQuantizer.Quantize(m, "float.onnx", o, null, o.Mode == QuantMode.Static ? calib : null, Cpu).Model;

    public static TheoryData<string, string> Kinds => new()
    {
        { "qdq", "QDQ (" },
        { "qoperator", "QOperator (QLinearConv 1)" },
        { "dynamic", "dynamic integer ops (ConvInteger 1, DynamicQuantizeLinear 1)" },
        { "weights", "integer weights behind 1 DequantizeLinear (weight-only)" },
        { "fp16", "float16 compute (" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AQuantizedModel_IsNamedByInspect_AndRefusedByEveryPreset(string kind, string description)
    {
        using var tmp = new TempDir();
        var calib = Calib("X", 2, 3, 8, 8);
        var o = kind switch
        {
            "qdq" => QuantizationPresets.Get("onnx-static"),
            "qoperator" => QuantizationPresets.Get("onnx-static") with { Format = QuantFormat.QOperator },
            "dynamic" => QuantizationPresets.Get("onnx-dynamic"),
            "weights" => QuantizationPresets.Get("weights-int8"),
            _ => QuantizationPresets.Get("fp16"),
        };
        var q = Quantized(TinyModels.Conv(relu: false), o, calib);
        string path = tmp.File("q.onnx");
        OnnxModelFile.Save(q, path);
        Assert.Contains(description, ModelInspector.Inspect(path).Quantization);
        foreach (var preset in Presets)
        {
            var options = QuantizationPresets.Get(preset);
            var e = Assert.Throws<FpQuantException>(() => ModelQuantizer.Quantize(q, "q.onnx", options, preset,
                options.Mode == QuantMode.Static ? calib : null, Cpu));
            Assert.Contains(kind == "fp16" ? "float16" : "q.onnx is already quantized: " + description, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void Float16StoredWeightsBehindACast_AreWidened_ThenQuantized()
    {
        // y = x @ Cast(w16): the weight is stored as float16 but the model computes in float32.
        var w = TinyModels.Random(3, 0.3f, 16, 8);
        var g = new GraphBuilder("stored16");
        string x = g.Input("X", DataType.Float, "N", 16);
        string w16 = g.Initializer(TensorProtos.FromHalf("fc.weight16", w.Data.Select(v => (Half)v).ToArray(), 16, 8));
        string wf = g.Node("Cast", "fc.weight", new[] { w16 }, ("to", (long)DataType.Float));
        g.NodeMulti("MatMul", "fc", new[] { x, wf }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", 8);
        var m = g.Build();
        using var tmp = new TempDir();
        OnnxModelFile.Save(m, tmp.File("m.onnx"));
        Assert.Contains("float16-stored weights (1 float16 initializers behind a Cast to float32)",
            ModelInspector.Inspect(tmp.File("m.onnx")).Quantization);

        var r =
            ModelQuantizer.Quantize(m, "m.onnx", QuantizationPresets.Get("onnx-dynamic"), "onnx-dynamic", null, Cpu);
        Assert.Equal(new[] { "fc" }, r.QuantizedNodes);
        Assert.Contains(r.Warnings,
            n => n.StartsWith("1 float16-stored weight(s) behind a Cast to float32 widened", StringComparison.Ordinal));
        Assert.Contains(r.Model.Graph.Node, n => n.OpType == "MatMulInteger");
        Assert.DoesNotContain(r.Model.Graph.Node, n => n.OpType == "Cast" && n.Name == "fc.weight");
        // The same results as the float model, within int8's reach.
        var input = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(5, 1f, 2, 16) };
        var want = TinyModels.Run(m, input, tmp.Path, "float")[0].Value.Data;
        var got = TinyModels.Run(r.Model, input, tmp.Path, "q")[0].Value.Data;
        double range = want.Max() - want.Min();
        Assert.All(want.Zip(got),
            p => Assert.True(Math.Abs(p.First - p.Second) <= 0.05 * range, $"{p.Second} vs {p.First}"));
    }
}
