using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>One run of an InferenceSession on named tensors: input OrtValues made and always released.</summary>
internal static class SessionRun
{
    /// <summary>
    /// Runs and hands each float output to <paramref name="sink"/> while its buffer is alive (no copy).
    /// </summary>
    public static void Run(InferenceSession session, IReadOnlyDictionary<string, FloatTensor> inputs,
        IReadOnlyList<string> outputs, Action<int, string, ReadOnlySpan<float>, long[]> sink) =>
        Run(session, inputs.ToDictionary(kv => kv.Key, kv => new InputTensor(kv.Value), StringComparer.Ordinal),
            outputs, sink);

    /// <summary>Runs on named inputs of any element type and copies every output in its own type, in the order asked;
    /// an output that is not a numeric tensor (a sequence, a map, strings) is refused with its name.</summary>
    public static List<(string Name, InputTensor Value)> RunAll(InferenceSession session,
        IReadOnlyDictionary<string, InputTensor> inputs, IReadOnlyList<string> outputs)
    {
        var list = new List<(string, InputTensor)>(outputs.Count);
        WithResults(session, inputs, outputs, null, results =>
        {
            for (int i = 0; i < outputs.Count; i++)
            {
                if (results[i].OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
                    throw new FpQuantException($"output '{ErrorText.Quote(outputs[i])}' is " +
                        $"{OrtElementTypes.KindOf(results[i].OnnxType)}, not a tensor; fpquant reads tensor outputs " +
                        $"only");
                var t = OrtElementTypes.FromOrtValue(results[i])
                    ?? throw new FpQuantException($"output '{ErrorText.Quote(outputs[i])}' holds " +
                        $"{OrtElementTypes.Name(results[i].GetTensorTypeAndShape().ElementDataType)} values; fpquant " +
                        $"reads numeric and bool tensors only");
                list.Add((outputs[i], t));
            }
        });
        return list;
    }

    /// <summary>Runs on named inputs of any element type and hands each float output to <paramref name="sink"/>
    /// while its buffer is alive (no copy).</summary>
    /// <param name="runOptions">Options for this run (an arena to shrink afterwards), or null for the defaults.</param>
    public static void Run(InferenceSession session, IReadOnlyDictionary<string, InputTensor> inputs,
        IReadOnlyList<string> outputs,
        Action<int, string, ReadOnlySpan<float>, long[]> sink, RunOptions? runOptions = null) =>
        WithResults(session, inputs, outputs, runOptions, results =>
        {
            for (int i = 0; i < outputs.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                if (info.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float) continue;
                sink(i, outputs[i], results[i].GetTensorDataAsSpan<float>(), info.Shape);
            }
        });

    /// <summary>
    /// One run: the input OrtValues made, the results handed to <paramref name="use"/> while alive, all released.
    /// </summary>
    private static void WithResults(InferenceSession session, IReadOnlyDictionary<string, InputTensor> inputs,
        IReadOnlyList<string> outputs, RunOptions? runOptions, Action<IDisposableReadOnlyCollection<OrtValue>> use)
    {
        var names = inputs.Keys.ToArray();
        var values = new OrtValue[names.Length];
        try
        {
            for (int i = 0; i < names.Length; i++) values[i] = OrtElementTypes.ToOrtValue(inputs[names[i]]);
            using var ownOptions = runOptions == null ? new RunOptions() : null;
            using var results = session.Run(runOptions ?? ownOptions!, names, values, outputs.ToArray());
            use(results);
        }
        finally
        {
            foreach (var v in values) v?.Dispose();
        }
    }

    /// <summary>Runs and copies the float outputs, in the order asked.</summary>
    public static List<(string Name, FloatTensor Value)> Run(InferenceSession session,
        IReadOnlyDictionary<string, FloatTensor> inputs, IReadOnlyList<string> outputs,
        RunOptions? runOptions = null) =>
        Run(session, inputs.ToDictionary(kv => kv.Key, kv => new InputTensor(kv.Value), StringComparer.Ordinal),
            outputs, runOptions);

    /// <summary>
    /// Runs on named inputs of any supported element type and copies the float outputs, in the order asked.
    /// </summary>
    public static List<(string Name, FloatTensor Value)> Run(InferenceSession session,
        IReadOnlyDictionary<string, InputTensor> inputs, IReadOnlyList<string> outputs, RunOptions? runOptions = null)
    {
        var list = new List<(string, FloatTensor)>(outputs.Count);
        Run(session, inputs, outputs,
            (_, name, data, shape) =>
                list.Add((name, new FloatTensor(shape.Select(d => (int)d).ToArray(), data.ToArray()))), runOptions);
        return list;
    }
}
