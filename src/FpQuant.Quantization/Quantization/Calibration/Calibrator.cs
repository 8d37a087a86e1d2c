using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// Collects activation ranges by running an augmented copy of the model (every tensor to calibrate made a graph
/// output) in ONNX Runtime itself. Statistics stream batch by batch; histogram methods take a second pass over
/// the data once the min/max fixes the histogram's range, so no activation is ever kept.
/// </summary>
internal static class Calibrator
{
    public static Dictionary<string, CalibrationRange> Collect(ModelProto model, string modelSource,
        IReadOnlyCollection<string> tensors,
        InputSource source, QuantizationOptions options, RuntimeSettings settings, IProgress<string>? progress = null)
    {
        var stats = tensors.Distinct().ToDictionary(t => t, _ => new TensorStatistics(), StringComparer.Ordinal);
        if (stats.Count == 0) return new();
        var augmented = model.Clone();
        // Session output name -> tensor name.
        var outputOf = new Dictionary<string, string>(StringComparer.Ordinal);
        // Tensors inside If/Loop/Scan bodies: their min and max, returned through the control-flow nodes.
        var mainScope = Subgraphs.Defined(augmented.Graph);
        var inBodies = stats.Keys.Where(t => !mainScope.Contains(t)).ToHashSet(StringComparer.Ordinal);
        foreach (var (output, tensor) in SubgraphExposure.Expose(augmented.Graph, inBodies)) outputOf[output] = tensor;
        var estimator = RangeEstimators.For(options.Calibration);
        // Min/max alone: the model reduces each tensor to its [min, max] itself, so a run returns two scalars per
        // tensor instead of every activation of the batch at once (hundreds of MB for a batch of crops). A tensor
        // read by the reductions is read as it would be as an output: fusions across it stay off either way.
        var reducedMin = new Dictionary<string, string>(StringComparer.Ordinal);
        var reducedMax = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!estimator.NeedsHistogram)
            foreach (var tensor in stats.Keys.Where(mainScope.Contains))
            {
                var (min, max) = SubgraphExposure.AddMinMax(augmented.Graph, tensor);
                augmented.Graph.Output.Add(ExtraOutputs.FloatOutput(min));
                augmented.Graph.Output.Add(ExtraOutputs.FloatOutput(max));
                reducedMin[min] = tensor; reducedMax[max] = tensor;
                outputOf[min] = tensor; outputOf[max] = tensor;
            }
        if (reducedMin.Count > 0) ReduceRightAfterProducers(augmented.Graph, reducedMin.Values.ToHashSet());
        else
            foreach (var (output, tensor) in ExtraOutputs.Add(augmented.Graph, stats.Keys.Where(mainScope.Contains),
                "calibration"))
                outputOf[output] = tensor;
        augmented.Graph.ValueInfo.Clear();
        using var session =
            SessionFactory.FromBytes(augmented.ToByteArray(), settings with { Arena = MemoryArena.None },
                $"the calibration copy of {modelSource}");
        // The copy's serialized bytes (the size of the model) are garbage once the session holds the model.
        ProcessMemory.Trim();
        var outputNames = outputOf.Keys.ToArray();
        var fixedBatch = FixedBatchSizes(model);

        int passes = estimator.NeedsHistogram ? 2 : 1;
        for (int pass = 0; pass < passes; pass++)
        {
            if (pass == 1)
            {
                bool ofAbs = estimator.HistogramOfAbs(options);
                foreach (var s in stats.Values) s.StartHistogram(options.HistogramBins, ofAbs);
            }
            int batchNo = 0;
            foreach (var batch in source.Batches(model, modelSource))
            {
                batchNo++;
                InputSource.CheckFinite(batch, $"batch {batchNo} of {source.Description}");
                progress?.Report($"calibration pass {pass + 1}/{passes}, batch {batchNo}");
                foreach (var part in SplitToFit(batch, fixedBatch))
                {
                    var mins = new Dictionary<string, float>(StringComparer.Ordinal);
                    var maxs = new Dictionary<string, float>(StringComparer.Ordinal);
                    RunBatch(session, part, outputNames, (name, data) =>
                    {
                        if (reducedMin.TryGetValue(name, out var t)) { mins[t] = data[0]; return; }
                        if (reducedMax.TryGetValue(name, out t)) { maxs[t] = data[0]; return; }
                        var st = stats[outputOf[name]];
                        if (pass == 0) st.AddMinMax(data, options.MovingAverage);
                        else if (!inBodies.Contains(outputOf[name])) st.AddHistogram(data);
                    });
                    // An empty tensor reduces to [+inf, -inf]: nothing seen, as AddMinMax skips empty batches.
                    foreach (var (t, mn) in mins)
                        if (mn <= maxs[t]) stats[t].AddRange(mn, maxs[t], options.MovingAverage);
                }
            }
            if (batchNo == 0) throw new FpQuantException($"calibration source {source.Description} gave no batches");
        }
        return stats.ToDictionary(kv => kv.Key,
            kv => inBodies.Contains(kv.Key)
                ? RangeSelection.Select(kv.Value, options with { Calibration = CalibrationMethod.MinMax })
                : RangeSelection.Select(kv.Value, options),
            StringComparer.Ordinal);
    }

    /// <summary>Moves the ReduceMin/ReduceMax nodes appended for <paramref name="reduced"/> to just after the node
    /// that makes their tensor (graph inputs' to the front): ONNX Runtime runs nodes in about the order listed, and
    /// reductions left at the end would keep every reduced tensor alive until then.</summary>
    private static void ReduceRightAfterProducers(GraphProto graph, HashSet<string> reduced)
    {
        bool IsReduction(NodeProto n) => n.OpType is "ReduceMin" or "ReduceMax" && n.Input.Count == 1
            && reduced.Contains(n.Input[0]) && n.Output[0].StartsWith(n.Input[0] + "/calibration_",
                StringComparison.Ordinal);
        var reductions = graph.Node.Where(IsReduction).ToLookup(n => n.Input[0], StringComparer.Ordinal);
        var others = graph.Node.Where(n => !IsReduction(n)).ToList();
        var ordered = new List<NodeProto>(graph.Node.Count);
        foreach (var i in graph.Input) ordered.AddRange(reductions[i.Name]);
        foreach (var n in others)
        {
            ordered.Add(n);
            foreach (var o in n.Output) ordered.AddRange(reductions[o]);
        }
        graph.Node.Clear();
        graph.Node.AddRange(ordered);
    }

    /// <summary>Inputs whose first axis is fixed (e.g. a batch of 1), with that size.</summary>
    public static Dictionary<string, int> FixedBatchSizes(ModelProto model)
    {
        var init = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var i in model.Graph.Input.Where(i => !init.Contains(i.Name)))
            if (i.Type?.TensorType?.Shape?.Dim is { Count: > 0 } dims && dims[0].DimValue > 0)
                sizes[i.Name] = (int)dims[0].DimValue;
        return sizes;
    }

    /// <summary>
    /// A batch cut into pieces a model with a fixed batch axis accepts: a model exported with batch 1 is fed one sample
    /// at a time. A batch that already fits, or a model whose inputs all have a free first axis, passes unchanged.
    /// </summary>
    public static IEnumerable<Dictionary<string, InputTensor>> SplitToFit(Dictionary<string, InputTensor> batch,
        IReadOnlyDictionary<string, int> fixedBatch)
    {
        int step = int.MaxValue;
        foreach (var (name, t) in batch)
            if (fixedBatch.TryGetValue(name, out int n) && t.Shape.Length > 0 && t.Samples != n)
            {
                if (t.Samples % n != 0)
                    throw new FpQuantException($"calibration input '{name}' has {t.Samples} samples on axis 0 " +
                        $"({t.ShapeText}), not a multiple of the model's fixed batch of {n}");
                step = Math.Min(step, n);
            }
        if (step == int.MaxValue) { yield return batch; yield break; }
        int samples = batch.Values.First(t => t.Shape.Length > 0).Samples;
        for (int start = 0; start < samples; start += step)
            yield return batch.ToDictionary(kv => kv.Key,
                kv => kv.Value.Shape.Length == 0 ? kv.Value : kv.Value.Slice(start, step), StringComparer.Ordinal);
    }

    private static void RunBatch(InferenceSession session, Dictionary<string, InputTensor> batch, string[] outputs,
        Action<string, ReadOnlySpan<float>> sink)
    {
        try
        {
            SessionRun.Run(session, batch, outputs, (_, name, data, _) => sink(name, data));
        }
        catch (OnnxRuntimeException e)
        {
            throw new FpQuantException($"calibration run failed: {e.Message}", e);
        }
    }
}
