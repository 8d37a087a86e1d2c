using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>
/// Repeated runs of one session over float buffers of fixed shapes, bound once: the inputs are written into
/// <see cref="Input"/> and the outputs read from <see cref="Output"/> in place, so a run allocates no tensors (a
/// tracking frame runs RefineNet on one pair many times a second). The buffers are pinned for the binding's life.
/// With a GPU provider ONNX Runtime copies the bound host buffers to and from the device.
/// </summary>
internal sealed class BoundRun : IDisposable
{
    private readonly ModelRunner _runner;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _options = new();
    private readonly List<OrtValue> _values = new();
    private readonly float[][] _inputs, _outputs;

    /// <param name="inputs">Every input of the model with its shape.</param>
    /// <param name="outputs">The outputs to compute with their shapes (what the model gives for these inputs).</param>
    public BoundRun(ModelRunner runner, IReadOnlyList<(string Name, long[] Shape)> inputs, IReadOnlyList<(string Name, long[] Shape)> outputs)
    {
        _runner = runner;
        foreach (var name in runner.InputNames)
            if (!inputs.Any(i => i.Name == name))
                throw new FpQuantException($"model '{runner.ModelPath}' needs input '{name}'; bind it (inputs given: {string.Join(", ", inputs.Select(i => i.Name))})");
        foreach (var (name, _) in outputs)
            if (!runner.OutputNames.Contains(name))
                throw new FpQuantException($"model '{runner.ModelPath}' has no output '{name}'; its outputs are {string.Join(", ", runner.OutputNames)}");
        _binding = runner.Session.CreateIoBinding();
        try
        {
            _inputs = inputs.Select(i => Bind(i.Name, i.Shape, input: true)).ToArray();
            _outputs = outputs.Select(o => Bind(o.Name, o.Shape, input: false)).ToArray();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private float[] Bind(string name, long[] shape, bool input)
    {
        long n = 1;
        foreach (long d in shape)
        {
            if (d < 1) throw new ArgumentException($"'{name}' needs a fixed shape, got [{string.Join(", ", shape)}]");
            n *= d;
        }
        var data = new float[n];
        var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        _values.Add(value);
        if (input) _binding.BindInput(name, value);
        else _binding.BindOutput(name, value);
        return data;
    }

    /// <summary>Input <paramref name="i"/>'s buffer (in the order bound), row-major.</summary>
    public float[] Input(int i) => _inputs[i];
    /// <summary>Output <paramref name="i"/>'s buffer (in the order bound), valid after <see cref="Run"/>.</summary>
    public float[] Output(int i) => _outputs[i];

    public void Run()
    {
        try
        {
            _runner.Session.RunWithBinding(_options, _binding);
            // A device provider writes its results back into the bound host buffers only when asked.
            _binding.SynchronizeBoundOutputs();
        }
        catch (OnnxRuntimeException e)
        {
            throw new FpQuantException($"running '{_runner.ModelPath}' failed: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        _binding?.Dispose();
        foreach (var v in _values) v.Dispose();
        _values.Clear();
        _options.Dispose();
    }
}
