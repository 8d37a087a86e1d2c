using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Cli;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Quantization;

/// <summary>The public facade (OnnxQuantizer, QuantizationPresets, ModelInputs, InputBatch, OnnxInference) on tiny
/// models, against what the CLI writes for the same options and data.</summary>
[Trait("Category", "Quick")]
[Collection(CliCollection.Name)]
public class OnnxQuantizerTests
{
    private const int Samples = 16;

    /// <summary>The tiny conv model and an npy folder of <see cref="Samples"/> samples for its input X.</summary>
    private static (string Model, string Calibration, FloatTensor X) ConvWithSamples(TempDir tmp)
    {
        string model = tmp.File("conv.onnx");
        OnnxModelFile.Save(TinyModels.Conv(relu: true), model);
        string calibration = tmp.File("calib");
        Directory.CreateDirectory(calibration);
        var x = TinyModels.Random(11, 1f, Samples, 3, 8, 8);
        NpyFile.Write(Path.Combine(calibration, "X.npy"), (InputTensor)x);
        return (model, calibration, x);
    }

    [Fact]
    public void Quantize_WithNpySamples_WritesTheModelAndSidecarTheCliWrites()
    {
        using var tmp = new TempDir();
        var (model, calibration, _) = ConvWithSamples(tmp);
        string viaLibrary = tmp.File("library.onnx"), viaCli = tmp.File("cli.onnx");

        var summary =
            OnnxQuantizer.Quantize(model, viaLibrary, QuantizationPresets.OnnxStatic, ModelInputs.FromNpy(calibration));
        var cli = CliHarness.Run("quantize", "--model", model, "--out", viaCli, "--preset", "onnx-static",
            "--calibration", $"npy:{calibration}");

        Assert.True(cli.Code == 0, cli.Err);
        Assert.Equal(File.ReadAllBytes(viaCli), File.ReadAllBytes(viaLibrary));
        Assert.Equal(File.ReadAllBytes(Path.ChangeExtension(viaCli, ".json")), File.ReadAllBytes(summary.SidecarPath));
        Assert.Equal("onnx-static", summary.Preset);
        Assert.Equal(new FileInfo(viaLibrary).Length, summary.ModelBytes);
        Assert.Contains("conv", summary.QuantizedNodes);
        Assert.Contains(OnnxModelFile.Load(viaLibrary).Graph.Node, n => n.OpType == "QuantizeLinear");
    }

    [Fact]
    public void Quantize_Static_WithoutCalibration_ThrowsNamingTheParameter_AndWritesNothing()
    {
        using var tmp = new TempDir();
        var (model, _, _) = ConvWithSamples(tmp);
        string output = tmp.File("out.onnx");

        var e = Assert.Throws<FpQuantException>(() =>
            OnnxQuantizer.Quantize(model, output, QuantizationPresets.OnnxStatic));

        Assert.Contains("static quantization needs calibration data", e.Message);
        Assert.Contains("pass calibration", e.Message);
        Assert.DoesNotContain("--", e.Message);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(Path.ChangeExtension(output, ".json")));
    }

    [Fact]
    public void Quantize_Dynamic_NeedsNoCalibration()
    {
        using var tmp = new TempDir();
        string model = tmp.File("matmul.onnx"), output = tmp.File("matmul.int8.onnx");
        OnnxModelFile.Save(TinyModels.MatMulWeight(), model);

        var summary = OnnxQuantizer.Quantize(model, output, QuantizationPresets.OnnxDynamic);

        Assert.Equal("onnx-dynamic", summary.Preset);
        Assert.NotEmpty(summary.QuantizedNodes);
        Assert.Contains(OnnxModelFile.Load(output).Graph.Node, n => n.OpType == "DynamicQuantizeLinear");
        Assert.True(File.Exists(summary.SidecarPath));
    }

    [Fact]
    public void Quantize_InMemoryBatches_AndACallersOwnSource_GiveTheModelTheNpyFolderGives()
    {
        using var tmp = new TempDir();
        var (model, calibration, x) = ConvWithSamples(tmp);
        // The npy folder is read in batches of 8: the same batches, in memory.
        var batches = Enumerable.Range(0, Samples / 8)
            .Select(b => new InputBatch(("X", ((InputTensor)x).Slice(b * 8, 8)))).ToList();
        string fromNpy = tmp.File("npy.onnx"), fromMemory = tmp.File("memory.onnx"),
            fromCustom = tmp.File("custom.onnx");

        OnnxQuantizer.Quantize(model, fromNpy, QuantizationPresets.OnnxStatic, ModelInputs.FromNpy(calibration));
        OnnxQuantizer.Quantize(model, fromMemory, QuantizationPresets.OnnxStatic, ModelInputs.FromBatches(batches));
        var custom = new SlicingSource(x);
        OnnxQuantizer.Quantize(model, fromCustom, QuantizationPresets.OnnxStatic, custom);

        Assert.Equal(File.ReadAllBytes(fromNpy), File.ReadAllBytes(fromMemory));
        Assert.Equal(File.ReadAllBytes(fromNpy), File.ReadAllBytes(fromCustom));
        // The custom source saw the model's input as the public description gives it.
        var input = Assert.Single(custom.Seen!);
        Assert.Equal("X", input.Name);
        Assert.Equal(InputElementType.Float, input.Element);
        Assert.Equal(new long[] { -1, 3, 8, 8 }, input.Dims);
    }

    /// <summary>A caller's own source through the public extension point: 8 samples a batch.</summary>
    private sealed class SlicingSource(FloatTensor x) : InputSource
    {
        public IReadOnlyList<ModelInput>? Seen { get; private set; }
        public override string Description => "slices of X";

        protected override IEnumerable<InputBatch> ReadBatches(IReadOnlyList<ModelInput> inputs, string model)
        {
            Seen = inputs;
            for (int start = 0; start < x.Shape[0]; start += 8)
                yield return new InputBatch((inputs[0].Name, ((InputTensor)x).Slice(start, 8)));
        }
    }

    [Fact]
    public void InputBatch_RefusesAnInputGivenTwice()
    {
        var t = new InputTensor([1, 2], new float[] { 1, 2 });
        var e = Assert.Throws<FpQuantException>(() => new InputBatch(("X", t), ("X", t)));
        Assert.Contains("'X' is given twice", e.Message);
        var batch = new InputBatch(("X", t), ("Y", t));
        Assert.Equal(2, batch.Count);
        Assert.Equal(1, batch.Samples);
        Assert.Same(t, batch["Y"]);
    }

    [Fact]
    public void Presets_AreTheOnesTheCliLists_ByPropertyAndByName()
    {
        Assert.Equal(QuantizationPresets.All.Keys, QuantizationPresets.Names);
        Assert.Same(QuantizationPresets.Get("onnx-static"), QuantizationPresets.OnnxStatic);
        Assert.Same(QuantizationPresets.Get("onnx-dynamic"), QuantizationPresets.OnnxDynamic);
        Assert.Same(QuantizationPresets.Get("torch-static"), QuantizationPresets.TorchStatic);
        Assert.Same(QuantizationPresets.Get("torch-dynamic"), QuantizationPresets.TorchDynamic);
        Assert.Same(QuantizationPresets.Get("convs-int8"), QuantizationPresets.ConvsInt8);
        Assert.Same(QuantizationPresets.Get("fp16"), QuantizationPresets.Fp16);
        Assert.Same(QuantizationPresets.Get("weights-int8"), QuantizationPresets.WeightsInt8);
        foreach (var name in QuantizationPresets.Names)
            Assert.False(string.IsNullOrWhiteSpace(QuantizationPresets.Describe(name)));
        var e = Assert.Throws<FpQuantException>(() => QuantizationPresets.Get("int4"));
        Assert.Contains("onnx-static", e.Message);
    }

    [Fact]
    public void OnnxInference_Run_GivesWhatOnnxRuntimeGives()
    {
        using var tmp = new TempDir();
        var (model, _, x) = ConvWithSamples(tmp);

        var outputs =
            OnnxInference.Run(model, new InputBatch(("X", (InputTensor)x)), new ExecutionOptions { Threads = 1 });

        var expected = TinyModels.Run(TinyModels.Conv(relu: true), new() { ["X"] = x }, tmp.Path, "conv").Single();
        var y = Assert.Single(outputs);
        Assert.Equal("Y", y.Key);
        Assert.Equal(expected.Value.Data, y.Value.Data);
    }
}
