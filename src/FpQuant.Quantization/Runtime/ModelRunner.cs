using System.Diagnostics;
using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>One ONNX Runtime session over a model file, run with named float tensors.</summary>
internal sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RuntimeSettings _settings;
    public string ModelPath { get; }
    public TimeSpan CreationTime { get; }
    public IReadOnlyList<string> InputNames { get; }
    public IReadOnlyList<string> OutputNames { get; }

    public ModelRunner(string modelPath, RuntimeSettings settings)
    {
        if (!File.Exists(modelPath))
            throw new FpQuantException($"model file '{modelPath}' does not exist");
        ModelPath = modelPath;
        _settings = settings;
        using var options = settings.CreateSessionOptions();
        var sw = Stopwatch.StartNew();
        try
        {
            _session = new InferenceSession(modelPath, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new FpQuantException($"ONNX Runtime cannot load '{modelPath}': {e.Message}", e);
        }
        CreationTime = sw.Elapsed;
        InputNames = _session.InputMetadata.Keys.ToArray();
        OutputNames = _session.OutputMetadata.Keys.ToArray();
    }

    /// <summary>A session over a model held in memory (a calibration or sensitivity variant), named
    /// <paramref name="description"/> in errors.</summary>
    public ModelRunner(byte[] model, string description, RuntimeSettings settings)
    {
        ModelPath = description;
        _settings = settings;
        var sw = Stopwatch.StartNew();
        _session = SessionFactory.FromBytes(model, settings, description);
        CreationTime = sw.Elapsed;
        InputNames = _session.InputMetadata.Keys.ToArray();
        OutputNames = _session.OutputMetadata.Keys.ToArray();
    }

    public IReadOnlyDictionary<string, NodeMetadata> InputMetadata => _session.InputMetadata;
    public IReadOnlyDictionary<string, NodeMetadata> OutputMetadata => _session.OutputMetadata;

    /// <summary>Runs the model; outputs come back in the model's output order.</summary>
    public List<(string Name, FloatTensor Value)> Run(IReadOnlyDictionary<string, FloatTensor> inputs,
        IReadOnlyList<string>? outputs = null)
    {
        CheckNames(inputs.Keys);
        try
        {
            using var ro = _settings.CreateRunOptions();
            return SessionRun.Run(_session, inputs, outputs ?? OutputNames, ro);
        }
        catch (OnnxRuntimeException e)
        {
            throw new FpQuantException($"running '{ModelPath}' failed: {e.Message}", e);
        }
    }

    /// <summary>Runs the model on inputs of any supported element type (float32, int64, int32).</summary>
    public List<(string Name, FloatTensor Value)> Run(IReadOnlyDictionary<string, InputTensor> inputs,
        IReadOnlyList<string>? outputs = null)
    {
        CheckNames(inputs.Keys);
        try
        {
            using var ro = _settings.CreateRunOptions();
            return SessionRun.Run(_session, inputs, outputs ?? OutputNames, ro);
        }
        catch (OnnxRuntimeException e)
        {
            throw new FpQuantException($"running '{ModelPath}' failed: {e.Message}", e);
        }
    }

    /// <summary>Runs the model and copies every output in its own element type (the infer verb).</summary>
    public List<(string Name, InputTensor Value)> RunAll(IReadOnlyDictionary<string, InputTensor> inputs)
    {
        CheckNames(inputs.Keys);
        try
        {
            return SessionRun.RunAll(_session, inputs, OutputNames);
        }
        catch (OnnxRuntimeException e)
        {
            throw new FpQuantException($"running '{ModelPath}' failed: {e.Message}", e);
        }
    }

    private void CheckNames(IEnumerable<string> given)
    {
        var names = given.ToList();
        foreach (var name in InputNames)
            if (!names.Contains(name))
                throw new FpQuantException($"model '{ModelPath}' needs input '{name}'; pass it (inputs given: " +
                    $"{string.Join(", ", names)})");
        foreach (var name in names)
            if (!InputNames.Contains(name))
                throw new FpQuantException($"model '{ModelPath}' has no input '{name}'; its inputs are " +
                    $"{string.Join(", ", InputNames)}");
    }

    /// <summary>Pinned input buffers for up to <paramref name="capacity"/> items of the given per-item shapes,
    /// bound to this session (see <see cref="BatchBinding"/>); dispose it before the runner.</summary>
    public BatchBinding Bind(IReadOnlyList<(string Name, int[] ItemShape)> inputs, int capacity,
        IReadOnlyList<string>? outputs = null)
    {
        CheckNames(inputs.Select(i => i.Name));
        return new BatchBinding(_session, _settings, ModelPath, inputs, outputs ?? OutputNames, capacity);
    }

    /// <summary>As <see cref="Bind"/>, with the outputs bound to pinned buffers of the given per-item shapes too, so
    /// a run allocates nothing (read them with <see cref="BatchBinding.Output"/>).</summary>
    public BatchBinding BindWithOutputs(IReadOnlyList<(string Name, int[] ItemShape)> inputs,
        IReadOnlyList<(string Name, int[] ItemShape)> outputs, int capacity)
    {
        CheckNames(inputs.Select(i => i.Name));
        foreach (var (name, _) in outputs)
            if (!OutputNames.Contains(name))
                throw new FpQuantException(
                    $"model '{ModelPath}' has no output '{name}'; its outputs are {string.Join(", ", OutputNames)}");
        return new BatchBinding(_session, _settings, ModelPath, inputs, outputs.Select(o => o.Name).ToArray(), capacity,
            outputs.Select(o => o.ItemShape).ToArray());
    }

    public string? EndProfiling() => _session.EndProfiling();

    public void Dispose() => _session.Dispose();
}
