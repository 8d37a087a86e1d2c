using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Mixed;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Quantization;

/// <summary>Every quantization mode, mixed recipes included, goes through one path: the same result shape, the same
/// "nothing was quantized" note and the model as given when no node qualifies, and the nodes its driver
/// rewrote.</summary>
[Trait("Category", "Quick")]
public class ModeResultTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    private static InMemoryInputSource Calibration(int features) =>
        new(new[] { new Dictionary<string, InputTensor> { ["X"] = TinyModels.Random(7, 1f, 2, features) } });

    public static TheoryData<string> Modes => new() { "static", "dynamic", "weight-only", "fp16", "mixed" };

    private static QuantizationOptions Options(string mode, IReadOnlyList<string> exclude) => mode switch
    {
        "static" => new QuantizationOptions { Mode = QuantMode.Static, Exclude = exclude },
        "dynamic" => new QuantizationOptions { Mode = QuantMode.Dynamic, Exclude = exclude },
        "weight-only" => new QuantizationOptions { Mode = QuantMode.WeightOnly, Exclude = exclude },
        "fp16" => new QuantizationOptions { Mode = QuantMode.Fp16, Exclude = exclude },
        _ => new QuantizationOptions
        {
            Modes = [new ModeRule { Mode = NodeMode.Dynamic, OpTypes = ["MatMul"] }], Exclude = exclude,
        },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public void NothingQualifies_EveryModeNotesIt_AndWritesTheSourceFilesOwnBytes(string mode)
    {
        using var tmp = new TempDir();
        string source = tmp.File("m.onnx");
        OnnxModelFile.Save(TinyModels.MatMulWeight(), source);
        var model = OnnxModelFile.Load(source);
        var r = ModelQuantizer.Quantize(model, source, Options(mode, ["fc"]), mode, Calibration(16), Cpu);
        Assert.Empty(r.QuantizedNodes);
        string note = Assert.Single(r.Warnings, w => w.StartsWith("nothing was", StringComparison.Ordinal));
        string what = mode == "fp16" ? "converted to float16" : "quantized";
        Assert.StartsWith($"nothing was {what}: no node of {source} qualifies under {mode}'s options", note);
        Assert.True(r.IsSourceModel);
        Assert.Equal(model, r.Model);
        Assert.DoesNotContain(r.Model.MetadataProps, p => p.Key == "fpquant.quantization");
        Assert.Equal(mode == "mixed", r.NodeModes != null);
        string output = tmp.File("q.onnx");
        ModelQuantizer.Save(r, output, source);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(output));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void EveryModeDriver_ReturnsTheNodesItRewrote_AsTheQuantizerReportsThem(string mode)
    {
        var model = TinyModels.MatMulWeight();
        var o = Options(mode, []).WithResolvedReduceRange(Cpu.Provider);
        var calibration = Calibration(16);
        ModeResult driver = mode switch
        {
            "static" => StaticQuantizer.Quantize(model, "m", o, calibration, Cpu, null),
            "dynamic" => DynamicQuantizer.Quantize(model, o),
            "weight-only" => WeightOnlyQuantizer.Quantize(model, o),
            "fp16" => Fp16Converter.Quantize(model, o, Cpu),
            _ => MixedQuantizer.Quantize(model, "m", o, calibration, Cpu),
        };
        Assert.Equal(new[] { new QuantizedNode("fc", 0) }, driver.Nodes);
        Assert.Equal(new[] { "fc" }, driver.NodeNames);
        Assert.NotEqual(model, driver.Model);
        var r = ModelQuantizer.Quantize(model, "m", o, mode, calibration, Cpu);
        Assert.Equal(driver.NodeNames, r.QuantizedNodes);
        Assert.False(r.IsSourceModel);
        Assert.Equal(mode, Assert.Single(r.Model.MetadataProps, p => p.Key == "fpquant.quantization").Value);
        Assert.DoesNotContain(r.Warnings, w => w.StartsWith("nothing was", StringComparison.Ordinal));
        // The static part's ranges and parameters, for every mode that has one.
        Assert.Equal(mode == "static", r.Params.Count > 0);
    }
}
