using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>One run of an InferenceSession on named float tensors: input OrtValues made and always released.</summary>
public static class SessionRun
{
    /// <summary>Runs and hands each float output to <paramref name="sink"/> while its buffer is alive (no copy).</summary>
    public static void Run(InferenceSession session, IReadOnlyDictionary<string, FloatTensor> inputs, IReadOnlyList<string> outputs,
        Action<int, string, ReadOnlySpan<float>, long[]> sink) =>
        Run(session, inputs.ToDictionary(kv => kv.Key, kv => new InputTensor(kv.Value), StringComparer.Ordinal), outputs, sink);

    /// <summary>Runs on named inputs of any supported element type (float32, int64, int32) and hands each float
    /// output to <paramref name="sink"/> while its buffer is alive (no copy).</summary>
    public static void Run(InferenceSession session, IReadOnlyDictionary<string, InputTensor> inputs, IReadOnlyList<string> outputs,
        Action<int, string, ReadOnlySpan<float>, long[]> sink) => Run(session, inputs, outputs, sink, null);

    /// <param name="runOptions">Options for this run (an arena to shrink afterwards), or null for the defaults.</param>
    public static void Run(InferenceSession session, IReadOnlyDictionary<string, InputTensor> inputs, IReadOnlyList<string> outputs,
        Action<int, string, ReadOnlySpan<float>, long[]> sink, RunOptions? runOptions)
    {
        var names = inputs.Keys.ToArray();
        var values = new OrtValue[names.Length];
        try
        {
            for (int i = 0; i < names.Length; i++)
            {
                var t = inputs[names[i]];
                var shape = t.Shape.Select(d => (long)d).ToArray();
                values[i] = t.Data switch
                {
                    float[] f => OrtValue.CreateTensorValueFromMemory(f, shape),
                    long[] l => OrtValue.CreateTensorValueFromMemory(l, shape),
                    int[] n => OrtValue.CreateTensorValueFromMemory(n, shape),
                    _ => throw new ArgumentException($"input '{names[i]}' holds {t.Data.GetType().Name}"),
                };
            }
            using var ownOptions = runOptions == null ? new RunOptions() : null;
            using var results = session.Run(runOptions ?? ownOptions!, names, values, outputs.ToArray());
            for (int i = 0; i < outputs.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                if (info.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float) continue;
                sink(i, outputs[i], results[i].GetTensorDataAsSpan<float>(), info.Shape);
            }
        }
        finally
        {
            foreach (var v in values) v?.Dispose();
        }
    }

    /// <summary>Runs and copies the float outputs, in the order asked.</summary>
    public static List<(string Name, FloatTensor Value)> Run(InferenceSession session, IReadOnlyDictionary<string, FloatTensor> inputs, IReadOnlyList<string> outputs,
        RunOptions? runOptions = null) =>
        Run(session, inputs.ToDictionary(kv => kv.Key, kv => new InputTensor(kv.Value), StringComparer.Ordinal), outputs, runOptions);

    /// <summary>Runs on named inputs of any supported element type and copies the float outputs, in the order asked.</summary>
    public static List<(string Name, FloatTensor Value)> Run(InferenceSession session, IReadOnlyDictionary<string, InputTensor> inputs, IReadOnlyList<string> outputs,
        RunOptions? runOptions = null)
    {
        var list = new List<(string, FloatTensor)>(outputs.Count);
        Run(session, inputs, outputs, (_, name, data, shape) => list.Add((name, new FloatTensor(shape.Select(d => (int)d).ToArray(), data.ToArray()))), runOptions);
        return list;
    }
}
