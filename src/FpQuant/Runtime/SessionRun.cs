using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FpQuant.Runtime;

/// <summary>
/// One run of an InferenceSession on named tensors: input OrtValues made and always released. Inputs travel as
/// float32; an input the model declares int64 or int32 (token ids, masks) is converted when fed, and must then hold
/// whole numbers of at most 2^24 in magnitude, which float32 represents exactly.
/// </summary>
public static class SessionRun
{
    /// <summary>The largest magnitude float32 carries exactly for every integer up to it.</summary>
    public const float ExactIntegerLimit = 16_777_216f;

    /// <summary>Runs and hands each float output to <paramref name="sink"/> while its buffer is alive (no copy).</summary>
    public static void Run(InferenceSession session, IReadOnlyDictionary<string, FloatTensor> inputs, IReadOnlyList<string> outputs,
        Action<int, string, ReadOnlySpan<float>, long[]> sink)
    {
        var names = inputs.Keys.ToArray();
        var values = new OrtValue[names.Length];
        try
        {
            for (int i = 0; i < names.Length; i++)
            {
                var type = session.InputMetadata.TryGetValue(names[i], out var meta) ? meta.ElementDataType : TensorElementType.Float;
                values[i] = Feed(names[i], inputs[names[i]], type);
            }
            using var ro = new RunOptions();
            using var results = session.Run(ro, names, values, outputs.ToArray());
            for (int i = 0; i < outputs.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                if (info.ElementDataType != TensorElementType.Float) continue;
                sink(i, outputs[i], results[i].GetTensorDataAsSpan<float>(), info.Shape);
            }
        }
        finally
        {
            foreach (var v in values) v?.Dispose();
        }
    }

    /// <summary>Runs and copies the float outputs, in the order asked.</summary>
    public static List<(string Name, FloatTensor Value)> Run(InferenceSession session, IReadOnlyDictionary<string, FloatTensor> inputs, IReadOnlyList<string> outputs)
    {
        var list = new List<(string, FloatTensor)>(outputs.Count);
        Run(session, inputs, outputs, (_, name, data, shape) => list.Add((name, new FloatTensor(shape.Select(d => (int)d).ToArray(), data.ToArray()))));
        return list;
    }

    private static OrtValue Feed(string name, FloatTensor t, TensorElementType type)
    {
        long[] shape = t.Shape.Select(d => (long)d).ToArray();
        switch (type)
        {
            case TensorElementType.Int64:
                return OrtValue.CreateTensorValueFromMemory(Whole(name, t.Data, v => (long)v), shape);
            case TensorElementType.Int32:
                return OrtValue.CreateTensorValueFromMemory(Whole(name, t.Data, v => (int)v), shape);
            case TensorElementType.Float:
                return OrtValue.CreateTensorValueFromMemory(t.Data, shape);
            default:
                throw new FpQuantException($"input '{name}' is {type}: fpquant feeds float32, int64 and int32 inputs only");
        }
    }

    private static T[] Whole<T>(string name, float[] data, Func<float, T> convert)
    {
        var a = new T[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            float v = data[i];
            if (v != MathF.Round(v) || MathF.Abs(v) > ExactIntegerLimit)
                throw new FpQuantException($"input '{name}' is an integer input, but element {i} is {v}: give whole numbers within +-2^24");
            a[i] = convert(v);
        }
        return a;
    }
}
