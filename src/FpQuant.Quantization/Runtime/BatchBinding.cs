using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>
/// Runs of one session over pinned float buffers bound once (IoBinding), for batches of up to
/// <see cref="Capacity"/> items of fixed per-item shapes: the buffers are allocated once and bound once per batch
/// size. Callers write items straight into <see cref="Input"/> and run; no array is allocated per call (a tracking
/// frame runs RefineNet on one pair many times a second). Outputs either stay with ONNX Runtime's allocator and go to
/// a sink while alive, or, when bound with their per-item shapes, land in pinned buffers read through
/// <see cref="Output"/>. A <see cref="MemoryArena.Shrinking"/> arena hands its free regions back after the first
/// run at a batch size and after a run the caller says ends a phase (the next run has another size, or no run of this
/// model follows soon); other runs keep it. The first run at a shape allocates per tensor and ONNX Runtime then plans
/// one block for the later ones: kept, those first regions stay beside the block (convs-int8 RefineNet, batch 42: peak
/// 1,059 MB kept against 648 MB). Shrinking after every run costs the regrowth each time (about 7 % of that batch's
/// time). With a GPU provider ONNX Runtime copies the bound host buffers to and from the device.
/// </summary>
internal sealed class BatchBinding : IDisposable
{
    /// <summary>Batch sizes kept bound: a loop has a full size and at most one remainder.</summary>
    private const int BoundSizes = 2;

    private readonly InferenceSession _session;
    private readonly string _description;
    private readonly RunOptions _keepArena;
    private readonly RunOptions _releaseArena;
    private readonly string[] _names;
    private readonly int[][] _itemShapes;
    private readonly long[] _itemLengths;
    private readonly float[][] _buffers;
    private readonly string[] _outputs;
    // Null when outputs are left to ONNX Runtime's allocator; else per output its item shape, length and buffer.
    private readonly int[][]? _outputItemShapes;
    private readonly long[] _outputItemLengths = Array.Empty<long>();
    private readonly float[][] _outputBuffers = Array.Empty<float[]>();
    private readonly List<(int Count, OrtIoBinding Binding, OrtValue[] Values)> _bound = new();

    public int Capacity { get; }
    public IReadOnlyList<string> InputNames => _names;

    /// <param name="outputItemShapes">Null: outputs go to ONNX Runtime's allocator and
    /// <see cref="Run(int, Action{int, ReadOnlySpan{float}, long[]}, bool)"/>'s sink. Else each output's per-item
    /// shape:
    /// outputs land in pinned buffers.</param>
    internal BatchBinding(InferenceSession session, RuntimeSettings settings, string description,
        IReadOnlyList<(string Name, int[] ItemShape)> inputs,
        IReadOnlyList<string> outputs, int capacity, IReadOnlyList<int[]>? outputItemShapes = null)
    {
        if (capacity < 1)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be positive");
        if (outputItemShapes != null && outputItemShapes.Count != outputs.Count)
            throw new ArgumentException($"{outputs.Count} outputs but {outputItemShapes.Count} output shapes",
                nameof(outputItemShapes));
        _session = session;
        _description = description;
        Capacity = capacity;
        _names = inputs.Select(i => i.Name).ToArray();
        _itemShapes = inputs.Select(i => i.ItemShape).ToArray();
        _itemLengths = _itemShapes.Select(FixedLength).ToArray();
        _buffers = _itemLengths.Select(l => PinnedBuffer(l, capacity)).ToArray();
        _outputs = outputs.ToArray();
        if (outputItemShapes != null)
        {
            _outputItemShapes = outputItemShapes.ToArray();
            _outputItemLengths = _outputItemShapes.Select(FixedLength).ToArray();
            _outputBuffers = _outputItemLengths.Select(l => PinnedBuffer(l, capacity)).ToArray();
        }
        _keepArena = new RunOptions();
        _releaseArena = settings.CreateRunOptions();
    }

    private long FixedLength(int[] shape)
    {
        foreach (int d in shape)
            if (d < 1)
                throw new FpQuantException(
                    $"binding '{_description}' needs fixed shapes, got [{string.Join(", ", shape)}]");
        return FloatTensor.ElementCount(shape);
    }

    // Pinned (the pinned object heap): ONNX Runtime reads and writes them in place, and the GC never moves them.
    private static float[] PinnedBuffer(long itemLength, int capacity) =>
        GC.AllocateUninitializedArray<float>(checked((int)(itemLength * capacity)), pinned: true);

    /// <summary>Floats in one item of input <paramref name="input"/>.</summary>
    public long ItemLength(int input) => _itemLengths[input];

    /// <summary>The first <paramref name="count"/> items of input <paramref name="input"/>, to be written before a
    /// run.</summary>
    public Memory<float> Input(int input, int count)
    {
        CheckCount(count);
        return _buffers[input].AsMemory(0, checked((int)(_itemLengths[input] * count)));
    }

    /// <summary>The first <paramref name="count"/> items of output <paramref name="output"/> of the last
    /// <see cref="Run(int, bool)"/> (outputs bound with their shapes only).</summary>
    public ReadOnlySpan<float> Output(int output, int count)
    {
        CheckCount(count);
        if (_outputItemShapes == null)
            throw new InvalidOperationException("outputs were not bound to buffers; use the sink");
        return _outputBuffers[output].AsSpan(0, checked((int)(_outputItemLengths[output] * count)));
    }

    /// <summary>Runs on the first <paramref name="count"/> items of every input into the bound output
    /// buffers; <paramref name="endsPhase"/>: the last run for a while, after which a shrinking arena is
    /// released.</summary>
    public void Run(int count, bool endsPhase = false)
    {
        CheckCount(count);
        if (_outputItemShapes == null)
            throw new InvalidOperationException("outputs were not bound to buffers; use the sink");
        var (binding, first) = BindingFor(count);
        try
        {
            _session.RunWithBinding(endsPhase || first ? _releaseArena : _keepArena, binding);
            // A device provider writes its results back into the bound host buffers only when asked.
            binding.SynchronizeBoundOutputs();
        }
        catch (OnnxRuntimeException e)
        {
            throw new FpQuantException($"running '{_description}' failed: {e.Message}", e);
        }
    }

    /// <summary>Runs on the first <paramref name="count"/> items of every input; each float output goes to
    /// <paramref name="sink"/> (output index, values, shape) while its buffer is alive; <paramref name="endsPhase"/>
    /// as for <see cref="Run(int, bool)"/>.</summary>
    public void Run(int count, Action<int, ReadOnlySpan<float>, long[]> sink, bool endsPhase = false)
    {
        CheckCount(count);
        if (_outputItemShapes != null)
            throw new InvalidOperationException("outputs are bound to buffers; read them with Output");
        var (binding, first) = BindingFor(count);
        try
        {
            _session.RunWithBinding(endsPhase || first ? _releaseArena : _keepArena, binding);
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

    /// <summary>The binding for <paramref name="count"/> items, and whether it was made for this run.</summary>
    private (OrtIoBinding Binding, bool Made) BindingFor(int count)
    {
        foreach (var b in _bound) if (b.Count == count) return (b.Binding, false);
        if (_bound.Count >= BoundSizes)
        {
            Release(_bound[0]);
            _bound.RemoveAt(0);
        }
        var values = new OrtValue[_names.Length + _outputBuffers.Length];
        var binding = _session.CreateIoBinding();
        try
        {
            for (int i = 0; i < _names.Length; i++)
            {
                values[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, Input(i, count),
                    BatchShape(count, _itemShapes[i]));
                binding.BindInput(_names[i], values[i]);
            }
            if (_outputItemShapes == null)
                foreach (var o in _outputs) binding.BindOutputToDevice(o, OrtMemoryInfo.DefaultInstance);
            else
                for (int o = 0; o < _outputs.Length; o++)
                {
                    var buffer = _outputBuffers[o].AsMemory(0, checked((int)(_outputItemLengths[o] * count)));
                    var value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer,
                        BatchShape(count, _outputItemShapes[o]));
                    values[_names.Length + o] = value;
                    binding.BindOutput(_outputs[o], value);
                }
        }
        catch
        {
            Release((count, binding, values));
            throw;
        }
        _bound.Add((count, binding, values));
        return (binding, true);
    }

    private static long[] BatchShape(int count, int[] itemShape)
    {
        var shape = new long[itemShape.Length + 1];
        shape[0] = count;
        for (int d = 0; d < itemShape.Length; d++) shape[d + 1] = itemShape[d];
        return shape;
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
        _keepArena.Dispose();
        _releaseArena.Dispose();
    }
}
