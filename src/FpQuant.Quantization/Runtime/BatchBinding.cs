using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>
/// Batches of varying size over one session (<see cref="BoundRun"/> is the fixed-shape kind): a session's float inputs in pinned buffers that are allocated once, for up to <see cref="Capacity"/> items of a
/// fixed per-item shape, and bound to the session once per batch size (IoBinding). Callers write items straight
/// into <see cref="Input"/> and run; no array is allocated per call. Outputs are left to ONNX Runtime's allocator
/// (they are small) and handed to a sink while alive.
/// </summary>
internal sealed class BatchBinding : IDisposable
{
    /// <summary>Batch sizes kept bound: a loop has a full size and at most one remainder.</summary>
    private const int BoundSizes = 2;

    private readonly InferenceSession _session;
    private readonly string _description;
    private readonly RuntimeSettings _settings;
    private readonly string[] _names;
    private readonly int[][] _itemShapes;
    private readonly long[] _itemLengths;
    private readonly float[][] _buffers;
    private readonly string[] _outputs;
    private readonly List<(int Count, OrtIoBinding Binding, OrtValue[] Values)> _bound = new();

    public int Capacity { get; }
    public IReadOnlyList<string> InputNames => _names;

    internal BatchBinding(InferenceSession session, RuntimeSettings settings, string description, IReadOnlyList<(string Name, int[] ItemShape)> inputs,
        IReadOnlyList<string> outputs, int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be positive");
        _session = session;
        _description = description;
        _settings = settings;
        Capacity = capacity;
        _names = inputs.Select(i => i.Name).ToArray();
        _itemShapes = inputs.Select(i => i.ItemShape).ToArray();
        _itemLengths = _itemShapes.Select(s => FloatTensor.ElementCount(s)).ToArray();
        // Pinned (the pinned object heap): ONNX Runtime reads them in place, and the GC never moves them.
        _buffers = _itemLengths.Select(l => GC.AllocateUninitializedArray<float>(checked((int)(l * capacity)), pinned: true)).ToArray();
        _outputs = outputs.ToArray();
    }

    /// <summary>Floats in one item of input <paramref name="input"/>.</summary>
    public long ItemLength(int input) => _itemLengths[input];

    /// <summary>The first <paramref name="count"/> items of input <paramref name="input"/>, to be written before <see cref="Run"/>.</summary>
    public Memory<float> Input(int input, int count)
    {
        CheckCount(count);
        return _buffers[input].AsMemory(0, checked((int)(_itemLengths[input] * count)));
    }

    /// <summary>Runs on the first <paramref name="count"/> items of every input; each float output goes to
    /// <paramref name="sink"/> (output index, values, shape) while its buffer is alive.</summary>
    public void Run(int count, Action<int, ReadOnlySpan<float>, long[]> sink)
    {
        CheckCount(count);
        var binding = BindingFor(count);
        try
        {
            using var ro = _settings.CreateRunOptions();
            _session.RunWithBinding(ro, binding);
            using var results = binding.GetOutputValues();
            for (int i = 0; i < results.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                if (info.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float) continue;
                sink(i, results[i].GetTensorDataAsSpan<float>(), info.Shape);
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new FpQuantException($"running '{_description}' failed: {e.Message}", e);
        }
    }

    private void CheckCount(int count)
    {
        if (count < 1 || count > Capacity)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"between 1 and the capacity {Capacity}");
    }

    private OrtIoBinding BindingFor(int count)
    {
        foreach (var b in _bound) if (b.Count == count) return b.Binding;
        if (_bound.Count >= BoundSizes)
        {
            Release(_bound[0]);
            _bound.RemoveAt(0);
        }
        var values = new OrtValue[_names.Length];
        var binding = _session.CreateIoBinding();
        try
        {
            for (int i = 0; i < _names.Length; i++)
            {
                var shape = new long[_itemShapes[i].Length + 1];
                shape[0] = count;
                for (int d = 0; d < _itemShapes[i].Length; d++) shape[d + 1] = _itemShapes[i][d];
                values[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Input(i, count), shape);
                binding.BindInput(_names[i], values[i]);
            }
            foreach (var o in _outputs) binding.BindOutputToDevice(o, OrtMemoryInfo.DefaultInstance);
        }
        catch
        {
            Release((count, binding, values));
            throw;
        }
        _bound.Add((count, binding, values));
        return binding;
    }

    private static void Release((int Count, OrtIoBinding Binding, OrtValue[] Values) b)
    {
        b.Binding.Dispose();
        foreach (var v in b.Values) v?.Dispose();
    }

    public void Dispose()
    {
        foreach (var b in _bound) Release(b);
        _bound.Clear();
    }
}
