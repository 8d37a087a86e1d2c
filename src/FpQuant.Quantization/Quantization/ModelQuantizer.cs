using System.Text.Json;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// The quantizer's entry point: any ONNX model in, the quantized model and a record of every range out.
/// </summary>
internal static class ModelQuantizer
{
    public static QuantizationResult Quantize(ModelProto model, string modelSource, QuantizationOptions options,
        string? preset, InputSource? calibration, RuntimeSettings settings, IProgress<string>? progress = null)
    {
        options.Validate();
        options = options.WithResolvedReduceRange(settings.Provider);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var original = model;
        // The float model must load in ONNX Runtime first: a model it cannot run is not the quantizer's to fix. One it
        // cannot run only at its own old opset (PRelu-6, AveragePool-1) is checked after pre-processing raises it.
        QuantizedModelCheck? check = null;
        FpQuantException? floatRefused = null;
        try { check = QuantizedModelCheck.ForFloat(original, modelSource, settings); }
        catch (FpQuantException e) { floatRefused = e; }
        // An already quantized model is refused rather than quantized twice; weights merely stored as float16 are
        // widened to float32 so that the quantizer sees them.
        ExistingQuantization.Of(model).RefuseStacking(modelSource, options.Mode);
        var widened = new List<string>();
        model = ExistingQuantization.WidenFloat16StoredWeights(model, widened);
        // Older and unoptimised exports: default-domain opset raised to 13, constants folded, BatchNormalization
        // folded into the Conv before it. A model already in that form passes through unchanged.
        Preprocessing.PreparedModel prepared;
        try { prepared = Preprocessing.ModelPreprocessor.Prepare(model, modelSource, settings,
            Preprocessing.ModelPreprocessor.MinimumOpset(options)); }
        catch (FpQuantException) when (floatRefused != null) { throw floatRefused; }
        var warnings = widened.Concat(prepared.Notes).ToList();
        if (check == null)
        {
            if (ReferenceEquals(prepared.Model, model)) throw floatRefused!;
            try { check = QuantizedModelCheck.ForFloat(prepared.Model, modelSource, settings); }
            catch (FpQuantException) { throw floatRefused!; }
            warnings.Add($"ONNX Runtime does not run {modelSource} at its own opset; the result is checked " +
                $"against the pre-processed (opset-raised) model");
        }
        warnings.AddRange(SelectionCheck.Check(prepared.Model.Graph, options, modelSource));
        model = prepared.Model;
        (var smoothing, options) =
            Smoothing.SmoothingPass.Apply(model, modelSource, options, calibration, settings);
        model = smoothing.Model;
        bool mixed = options.Modes.Count > 0;
        var result = mixed
            ? Mixed.MixedQuantizer.Quantize(model, modelSource, options, calibration, settings, progress)
            : options.Mode switch
            {
                QuantMode.Static =>
                    StaticQuantizer.Quantize(model, modelSource, options, calibration, settings, progress),
                QuantMode.Dynamic => DynamicQuantizer.Quantize(model, options),
                QuantMode.WeightOnly => WeightOnlyQuantizer.Quantize(model, options),
                _ => Fp16Converter.Quantize(model, options, settings),
            };
        if (result.Plan != null) warnings.AddRange(CoarseSteps.Check(result.Plan, result.Params));
        var nodes = result.NodeNames;
        // Layers inside If/Loop/Scan bodies: say how many were reached at each depth.
        if (model.Graph.Node.Any(SubgraphBodies.Has))
            warnings.Add($"quantized nodes by depth: " +
                $"{(result.Nodes.Count == 0 ? "none" : SubgraphBodies.DepthSummary(result.Nodes))}");
        string what = preset ?? (mixed ? "mixed" : options.Mode.ToString().ToLowerInvariant());
        var output = result.Model;
        bool asGiven = false;
        if (nodes.Count == 0)
        {
            // Nothing to gain from the rewritten graph (pre-processing alone can make it larger): the model as
            // given. A model ONNX Runtime runs only after pre-processing comes back pre-processed.
            asGiven = floatRefused == null;
            warnings.Add($"nothing was " +
                $"{(!mixed && options.Mode == QuantMode.Fp16 ? "converted to float16" : "quantized")}: no node " +
                $"of {modelSource} qualifies under {what}'s options; the output is the float model " +
                (asGiven ? "as given" : "after pre-processing (ONNX Runtime does not run it at its own opset)"));
            output = asGiven ? original.Clone() : model.Clone();
        }
        else output.MetadataProps.Add(new StringStringEntryProto { Key = "fpquant.quantization", Value = what });
        check.Check(output, what, (mixed || options.Mode == QuantMode.Fp16) && !options.Fp16KeepIoTypes);
        return new QuantizationResult(output, options, preset, calibration?.Description, result.Ranges,
            result.Params, nodes, sw.Elapsed)
            { Warnings = warnings, NodeModes = result.NodeModes, Smoothed = smoothing.Tensors,
                IsSourceModel = asGiven,
                FloatTensors = new FloatTensorSelector(options.FloatTensors).KeptIn(model.Graph) };
    }

    /// <summary>
    /// Writes the model and, beside it, FILE.json with preset, options, calibration source, tool version and every
    /// range.
    /// </summary>
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
            floatTensors = r.FloatTensors.Count == 0 ? null : r.FloatTensors,
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
                tensor = kv.Key, min = kv.Value.Min, max = kv.Value.Max, observedMin = kv.Value.ObservedMin,
                observedMax = kv.Value.ObservedMax,
            }),
        };
        // The model and its sidecar are one group: a failure leaves neither (nor a model without its ranges).
        // Nothing quantized: the source file's own bytes where there is one (re-encoding may grow it by a few bytes).
        byte[] model = r.IsSourceModel
            && File.Exists(sourceModel) ? File.ReadAllBytes(sourceModel) : OnnxModelFile.Serialize(r.Model);
        byte[] json = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(sidecar, QuantizationPresets.Json));
        AtomicFile.WriteGroup((outPath, s => s.Write(model)), (SidecarPath(outPath), s => s.Write(json)));
    }

    public static string SidecarPath(string modelPath) => Path.ChangeExtension(modelPath, ".json");
}
