using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Sensitivity;
using FpQuant.Runtime;
using Google.Protobuf;
using Onnx;

namespace FpQuant.Quantization.Bench;

/// <summary>
/// Any ONNX model, quantized by several recipes and measured in one process: size, latency of one batch (every
/// variant warmed up, then timed in alternating order round after round; medians) and fidelity against float on
/// held-out samples. Variants: fp32, a preset name, a preset file (.json, e.g. autoquant's recipe), or NAME=FILE.onnx
/// for a model quantized elsewhere.
/// </summary>
public static class ModelBench
{
    /// <summary>
    /// Quantizes <paramref name="modelPath"/> with every variant and measures them side by side in one process: size,
    /// latency of one batch (every variant warmed up, then timed in alternating order round after round; medians) and
    /// fidelity against float on the evaluation data. A variant that fails to build is reported, not thrown.
    /// </summary>
    /// <param name="modelPath">The float ONNX model.</param>
    /// <param name="calibration">The data static variants are calibrated on.</param>
    /// <param name="evaluation">The held-out data fidelity is measured on (its first batch is the timed one).</param>
    /// <param name="options">Variants, rounds and execution; null for the defaults.</param>
    /// <param name="progress">Receives a line per step, or null.</param>
    /// <returns>One row per variant; <see cref="ModelBenchReport.Markdown"/> renders them as a table.</returns>
    /// <exception cref="FpQuantException">Bad input: the model, the data, or the options.</exception>
    public static ModelBenchReport Run(string modelPath, InputSource calibration, InputSource evaluation,
        ModelBenchOptions? options = null, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(evaluation);
        options ??= new ModelBenchOptions();
        if (options.Rounds < 1)
            throw new FpQuantException($"{nameof(ModelBenchOptions.Rounds)} must be at least 1, got {options.Rounds}");
        if (options.Variants.Count == 0)
            throw new FpQuantException($"{nameof(ModelBenchOptions.Variants)}: give at least one variant");
        return Run(modelPath, options.Variants, calibration, evaluation,
            (options.Execution ?? new ExecutionOptions()).ToSettings(), options.Rounds, progress);
    }

    internal static ModelBenchReport Run(string modelPath, IReadOnlyList<string> variants, InputSource calibration,
        InputSource evaluation, RuntimeSettings settings, int rounds = 10, IProgress<string>? progress = null)
    {
        if (rounds < 1) throw new FpQuantException($"rounds must be at least 1, got {rounds}");
        if (variants.Count == 0) throw new FpQuantException("variants: give at least one variant");
        var sw = Stopwatch.StartNew();
        var model = OnnxModelFile.Load(modelPath);
        var held = evaluation.Batches(model, modelPath).ToList();
        if (held.Count == 0)
            throw new FpQuantException($"the evaluation data ({evaluation.Description}) gave no batches");

        var built = new List<(string Name, string Recipe, byte[] Bytes, int Nodes, string? Error)>();
        foreach (var v in variants)
        {
            progress?.Report($"building {v}");
            try { built.Add(Build(v, model, modelPath, calibration, settings)); }
            catch (FpQuantException e) { built.Add((v, v, Array.Empty<byte>(), 0, e.Message)); }
        }
        if (!built.Any(b => b.Name == "fp32")) built.Insert(0, ("fp32", "float32", model.ToByteArray(), 0, null));

        var runners = new List<ModelRunner?>();
        try
        {
            foreach (var b in built)
                runners.Add(b.Error == null
                    ? new ModelRunner(b.Bytes, $"variant {b.Name} of {Path.GetFileName(modelPath)}",
                        AlternatingTiming.ForTiming(settings)) : null);
            int fp = built.FindIndex(b => b.Name == "fp32");
            progress?.Report("fidelity on held-out samples");
            var reference = held.Select(batch => runners[fp]!.Run(batch)).ToList();
            var fidelity = runners.Select(r => r == null ? null
                : OutputFidelity.Compare(held, reference, held.Select(batch => r.Run(batch)).ToList())).ToList();

            var timing = held[0];
            var times = AlternatingTiming.Measure(runners, timing, rounds, warmups: 2, progress);
            double fpMs = Summary.Of(times[fp]).Median;
            var rows = built.Select((b, i) =>
            {
                if (b.Error != null)
                    return new ModelBenchRow(b.Name, b.Recipe, 0, 0, double.NaN, double.NaN, double.NaN, double.NaN,
                        null, b.Error);
                var s = Summary.Of(times[i]);
                return new ModelBenchRow(b.Name, b.Recipe, b.Bytes.Length / 1e6, b.Nodes, s.Median, s.Min, s.Max,
                    fpMs / s.Median, fidelity[i], null);
            }).ToList();
            string batchShape =
                string.Join(", ", timing.Select(kv => $"{kv.Key} {kv.Value.TypeName} {kv.Value.ShapeText}"));
            return new ModelBenchReport(Path.GetFileName(modelPath), calibration.Description, evaluation.Description,
                held.Sum(b => b.Values.First().Samples),
                batchShape, rounds, settings.Provider.ToString().ToLowerInvariant(), CpuFeatures.HasVnni,
                settings.IntraOpThreads, rows, sw.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var r in runners) r?.Dispose();
        }
    }

    private static (string, string, byte[], int, string?) Build(string variant, ModelProto model, string modelPath,
        InputSource calibration, RuntimeSettings settings)
    {
        if (variant == "fp32") return ("fp32", "float32", model.ToByteArray(), 0, null);
        int eq = variant.IndexOf('=');
        if (eq > 0)
        {
            string file = variant[(eq + 1)..];
            if (!File.Exists(file)) throw new FpQuantException($"variant {variant}: '{file}' does not exist");
            return (variant[..eq], Path.GetFileName(file), File.ReadAllBytes(file), 0, null);
        }
        bool isFile = variant.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        var options = isFile ? QuantizationPresets.LoadFile(variant) : QuantizationPresets.Get(variant);
        string name = isFile ? Path.GetFileNameWithoutExtension(variant) : variant;
        var r = ModelQuantizer.Quantize(model, modelPath, options, name, options.NeedsCalibration ? calibration : null,
            settings);
        return (name, isFile ? variant : name, r.Model.ToByteArray(), r.QuantizedNodes.Count, null);
    }
}
