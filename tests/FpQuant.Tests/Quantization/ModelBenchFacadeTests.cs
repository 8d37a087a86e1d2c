using FpQuant.Core;
using FpQuant.Inputs;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Bench;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Quantization;

/// <summary>
/// <see cref="ModelBench.Run"/> called as a C# program calls it: one row per variant with its size, timing and
/// fidelity against float on the evaluation data; a variant that cannot be built is a row with its error; bad options
/// are named.
/// </summary>
[Trait("Category", "Quick")]
public class ModelBenchFacadeTests
{
    private static readonly ExecutionOptions OneThread = new() { Threads = 1 };

    [Fact]
    public void Run_GivesARowPerVariant_WithSizeTimingAndFidelity()
    {
        using var tmp = new TempDir();
        string model = tmp.File("mlp.onnx"), external = tmp.File("elsewhere.onnx");
        OnnxModelFile.Save(TinyModels.Mlp(), model);
        var calibration = ModelInputs.FromBatches(TinyModels.Batches(100, 2, 16, 64));
        var evaluation = ModelInputs.FromBatches(TinyModels.Batches(200, 2, 16, 64));
        // A model quantized elsewhere: the same recipe and data as the bench's own onnx-static variant.
        OnnxQuantizer.Quantize(model, external, QuantizationPresets.OnnxStatic, calibration, OneThread);
        string[] variants = ["fp32", "onnx-static", "onnx-dynamic", $"external={external}", "no-such-preset"];
        var progress = new TinyModels.ProgressLines();

        var report = ModelBench.Run(model, calibration, evaluation,
            new ModelBenchOptions { Variants = variants, Rounds = 3, Execution = OneThread }, progress);

        Assert.Equal(new[] { "fp32", "onnx-static", "onnx-dynamic", "external", "no-such-preset" },
            report.Rows.Select(r => r.Variant));
        Assert.Equal("mlp.onnx", report.Model);
        Assert.Equal(32, report.EvaluationSamples);
        Assert.Equal(3, report.Rounds);
        Assert.Equal(1, report.Threads);
        Assert.NotEmpty(progress.Lines);

        var fp32 = report.Rows[0];
        Assert.Null(fp32.Error);
        Assert.Equal(1.0, fp32.SpeedUp);
        Assert.Equal(1.0, fp32.Fidelity!.Metrics["cosine"], 6);
        foreach (var row in report.Rows.Take(4))
        {
            Assert.Null(row.Error);
            Assert.True(row.SizeMb > 0, row.Variant);
            Assert.True(row.LatencyMinMs > 0 && row.LatencyMinMs <= row.LatencyMs && row.LatencyMs <= row.LatencyMaxMs,
                $"{row.Variant}: {row.LatencyMinMs} <= {row.LatencyMs} <= {row.LatencyMaxMs} ms");
            Assert.True(row.SpeedUp > 0, row.Variant);
            Assert.NotNull(row.Fidelity);
            Assert.Equal(32, row.Fidelity.Samples);
        }
        // int8 weights: a quarter of float's bytes give or take the scales; the output stays close to float.
        foreach (var row in report.Rows.Skip(1).Take(3))
        {
            Assert.True(row.SizeMb < fp32.SizeMb / 2, $"{row.Variant} {row.SizeMb} MB vs fp32 {fp32.SizeMb} MB");
            Assert.True(row.Fidelity!.SqnrDb > 20, $"{row.Variant} {row.Fidelity}");
        }
        Assert.Equal(2, report.Rows[1].QuantizedNodes);
        Assert.Equal(2, report.Rows[2].QuantizedNodes);
        // The file from elsewhere is measured as it is: its own size, and the fidelity of the same bytes built here.
        var outside = report.Rows[3];
        Assert.Equal(new FileInfo(external).Length / 1e6, outside.SizeMb);
        Assert.Equal(report.Rows[1].SizeMb, outside.SizeMb);
        Assert.Equal(report.Rows[1].Fidelity!.SqnrDb, outside.Fidelity!.SqnrDb);
        // A variant that cannot be built is a row that says why, not an exception.
        var bad = report.Rows[4];
        Assert.Contains("no-such-preset", bad.Error);
        Assert.Null(bad.Fidelity);
        string markdown = report.Markdown();
        foreach (var v in new[] { "fp32", "onnx-static", "onnx-dynamic", "external", "no-such-preset" })
            Assert.Contains(v, markdown);
    }

    [Fact]
    public void Run_BadArguments_ThrowNamingTheArgument()
    {
        using var tmp = new TempDir();
        string model = tmp.File("mlp.onnx");
        OnnxModelFile.Save(TinyModels.Mlp(), model);
        var data = ModelInputs.FromBatches(TinyModels.Batches(1, 1, 8, 64));

        Assert.Equal("modelPath",
            Assert.Throws<ArgumentNullException>(() => ModelBench.Run(null!, data, data)).ParamName);
        Assert.Equal("calibration",
            Assert.Throws<ArgumentNullException>(() => ModelBench.Run(model, null!, data)).ParamName);
        Assert.Equal("evaluation",
            Assert.Throws<ArgumentNullException>(() => ModelBench.Run(model, data, null!)).ParamName);

        void Fails(ModelBenchOptions options, string named, InputSource? evaluation = null, string? path = null)
        {
            var e = Assert.Throws<FpQuantException>(() =>
                ModelBench.Run(path ?? model, data, evaluation ?? data, options));
            Assert.Contains(named, e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.DoesNotContain("--", e.Message);
        }
        Fails(new ModelBenchOptions { Rounds = 0 }, "Rounds");
        Fails(new ModelBenchOptions { Variants = [] }, "Variants");
        Fails(new ModelBenchOptions { Execution = new ExecutionOptions { DeviceId = -1 } }, "DeviceId");
        Fails(new ModelBenchOptions(), "no evaluation batches", ModelInputs.FromBatches([], "no evaluation batches"));
        Fails(new ModelBenchOptions(), "missing.onnx", path: tmp.File("missing.onnx"));
    }
}
