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
public static class Calibrator
{
    public static Dictionary<string, CalibrationRange> Collect(ModelProto model, string modelSource, IReadOnlyCollection<string> tensors,
        CalibrationSource source, QuantizationOptions options, RuntimeSettings settings, IProgress<string>? progress = null)
    {
        var stats = tensors.Distinct().ToDictionary(t => t, _ => new TensorStatistics(), StringComparer.Ordinal);
        if (stats.Count == 0) return new();
        var augmented = model.Clone();
        var existing = new HashSet<string>(augmented.Graph.Output.Select(o => o.Name));
        var graphInputs = new HashSet<string>(augmented.Graph.Input.Select(i => i.Name));
        // Session output name -> tensor name. A graph input cannot also be an output: expose it through an Identity.
        var outputOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in stats.Keys)
        {
            string exposed = t;
            if (graphInputs.Contains(t))
            {
                exposed = $"{t}/calibration_copy";
                var id = new NodeProto { OpType = "Identity", Name = $"{t}/calibration_identity" };
                id.Input.Add(t); id.Output.Add(exposed);
                augmented.Graph.Node.Add(id);
            }
            outputOf[exposed] = t;
            if (!existing.Contains(exposed))
                augmented.Graph.Output.Add(new ValueInfoProto { Name = exposed, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        }
        augmented.Graph.ValueInfo.Clear();
        using var so = settings.CreateSessionOptions();
        using var session = new InferenceSession(augmented.ToByteArray(), so);
        var outputNames = outputOf.Keys.ToArray();

        bool histogram = options.Calibration != CalibrationMethod.MinMax;
        int passes = histogram ? 2 : 1;
        for (int pass = 0; pass < passes; pass++)
        {
            if (pass == 1)
            {
                bool ofAbs = options.Calibration == CalibrationMethod.Entropy
                    || (options.Calibration == CalibrationMethod.Percentile && options.SymmetricActivations);
                foreach (var s in stats.Values) s.StartHistogram(options.HistogramBins, ofAbs);
            }
            int batchNo = 0;
            foreach (var batch in source.Batches(model, modelSource))
            {
                batchNo++;
                CalibrationSource.CheckFinite(batch, $"batch {batchNo} of {source.Description}");
                progress?.Report($"calibration pass {pass + 1}/{passes}, batch {batchNo}");
                RunBatch(session, batch, outputNames, (name, data) =>
                {
                    var st = stats[outputOf[name]];
                    if (pass == 0) st.AddMinMax(data, options.MovingAverage);
                    else st.AddHistogram(data);
                });
            }
            if (batchNo == 0) throw new FpQuantException($"calibration source {source.Description} gave no batches");
        }
        return stats.ToDictionary(kv => kv.Key, kv => RangeSelection.Select(kv.Value, options), StringComparer.Ordinal);
    }

    private static void RunBatch(InferenceSession session, Dictionary<string, FloatTensor> batch, string[] outputs, Action<string, ReadOnlySpan<float>> sink)
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
