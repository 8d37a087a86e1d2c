using System.Text.Json;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>The quantizer's entry point: any ONNX model in, the quantized model and a record of every range out.</summary>
public static class ModelQuantizer
{
    public static QuantizationResult Quantize(ModelProto model, string modelSource, QuantizationOptions options, string? preset,
        CalibrationSource? calibration, RuntimeSettings settings, IProgress<string>? progress = null)
    {
        options.Validate();
        options = options.WithResolvedReduceRange(settings.Provider);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        // Older and unoptimised exports: default-domain opset raised to 13, constants folded, BatchNormalization
        // folded into the Conv before it. A model already in that form passes through unchanged.
        var prepared = Preprocessing.ModelPreprocessor.Prepare(model, modelSource, settings, Preprocessing.ModelPreprocessor.MinimumOpset(options));
        var warnings = new List<string>(prepared.Notes);
        warnings.AddRange(SelectionCheck.Check(prepared.Model.Graph, options, modelSource));
        model = prepared.Model;
        (var smoothing, options) = Smoothing.SmoothingPass.Apply(model, modelSource, options, calibration, settings);
        model = smoothing.Model;
        ModelProto output;
        IReadOnlyDictionary<string, CalibrationRange> ranges = new Dictionary<string, CalibrationRange>();
        IReadOnlyDictionary<string, QuantParams> parameters = new Dictionary<string, QuantParams>();
        if (options.Modes.Count > 0)
        {
            var mixed = Mixed.MixedQuantizer.Quantize(model, modelSource, options, calibration, settings, progress);
            mixed.Model.MetadataProps.Add(new StringStringEntryProto { Key = "fpquant.quantization", Value = preset ?? "mixed" });
            return new QuantizationResult(mixed.Model, options, preset, calibration?.Description, mixed.Ranges, mixed.Params,
                mixed.NodeModes.Where(kv => kv.Value != Mixed.NodeMode.Float).Select(kv => kv.Key).ToList(), sw.Elapsed)
                { Warnings = warnings, NodeModes = mixed.NodeModes, Smoothed = smoothing.Tensors };
        }
        List<QuantizedNode> depths;
        switch (options.Mode)
        {
            case QuantMode.Static:
                if (calibration == null) throw new FpQuantException("static quantization needs calibration data: give --calibration (see fpquant quantize --help)");
                var s = StaticQuantizer.QuantizeWithDepths(model, modelSource, options, calibration, settings, progress);
                output = s.Model; ranges = s.Ranges; parameters = s.Params;
                warnings.AddRange(CoarseSteps.Check(s.Plan, s.Params));
                depths = s.Nodes;
                break;
            case QuantMode.Dynamic:
                (output, depths) = DynamicQuantizer.QuantizeWithDepths(model, options);
                break;
            case QuantMode.WeightsOnly:
                (output, depths) = WeightOnlyQuantizer.QuantizeWithDepths(model, options);
                break;
            default:
                (output, depths) = Fp16Converter.ConvertWithDepths(model, options, settings);
                break;
        }
        var nodes = depths.Select(n => n.Name).ToList();
        // Layers inside If/Loop/Scan bodies: say how many were reached at each depth.
        if (model.Graph.Node.Any(SubgraphBodies.Has))
            warnings.Add($"quantized nodes by depth: {(depths.Count == 0 ? "none" : SubgraphBodies.DepthSummary(depths))}");
        output.MetadataProps.Add(new StringStringEntryProto { Key = "fpquant.quantization", Value = preset ?? options.Mode.ToString().ToLowerInvariant() });
        return new QuantizationResult(output, options, preset, calibration?.Description, ranges, parameters, nodes, sw.Elapsed) { Warnings = warnings, Smoothed = smoothing.Tensors };
    }

    /// <summary>Writes the model and, beside it, FILE.json with preset, options, calibration source, tool version and every range.</summary>
    public static void Save(QuantizationResult r, string outPath, string sourceModel)
    {
        var sidecar = new
        {
            tool = "fpquant",
            toolVersion = ToolInfo.Version,
            sourceModel = Path.GetFileName(sourceModel),
            preset = r.Preset,
            options = r.Options,
            calibration = r.CalibrationDescription,
            quantizedNodes = r.QuantizedNodes,
            nodeModes = r.NodeModes?.ToDictionary(kv => kv.Key, kv => Mixed.ModeRule.Name(kv.Value)),
            smoothing = r.Smoothed.Count == 0 ? null : r.Smoothed,
            tensors = r.Params.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new
            {
                name = kv.Key,
                rangeMin = r.Ranges.TryGetValue(kv.Key, out var cr) ? cr.Min : (float?)null,
                rangeMax = r.Ranges.TryGetValue(kv.Key, out var cr2) ? cr2.Max : (float?)null,
                scale = kv.Value.Scale[0],
                zeroPoint = kv.Value.ZeroPoint[0],
                type = kv.Value.Type.ToString().ToLowerInvariant(),
            }),
            ranges = r.Ranges.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new
            {
                tensor = kv.Key, min = kv.Value.Min, max = kv.Value.Max, observedMin = kv.Value.ObservedMin, observedMax = kv.Value.ObservedMax,
            }),
        };
        // The model and its sidecar are one group: a failure leaves neither (nor a model without its ranges).
        byte[] model = OnnxModelFile.Serialize(r.Model);
        byte[] json = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(sidecar, QuantizationPresets.Json));
        AtomicFile.WriteGroup((outPath, s => s.Write(model)), (SidecarPath(outPath), s => s.Write(json)));
    }

    public static string SidecarPath(string modelPath) => Path.ChangeExtension(modelPath, ".json");
}
