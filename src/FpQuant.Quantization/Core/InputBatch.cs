using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace FpQuant.Core;

/// <summary>
/// One batch of model inputs: a read-only map from input name to tensor, samples on axis 0 of every tensor.
/// </summary>
/// <example><code>var batch = new InputBatch(("input", new InputTensor([8, 3, 32, 32], pixels)));</code></example>
[SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix",
    Justification = "A batch is what the model runs on; a Dictionary suffix would name the container.")]
public sealed class InputBatch : IReadOnlyDictionary<string, InputTensor>
{
    private readonly Dictionary<string, InputTensor> _tensors;

    /// <summary>A batch of the given tensors, keyed by model input name (ordinal, case-sensitive).</summary>
    /// <param name="tensors">Input name and tensor pairs; names must be unique and non-empty.</param>
    /// <exception cref="FpQuantException">A name is empty or given twice, or a tensor is null.</exception>
    public InputBatch(IEnumerable<KeyValuePair<string, InputTensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _tensors = new Dictionary<string, InputTensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name))
                throw new FpQuantException("an input batch needs a non-empty name for every tensor");
            if (tensor == null) throw new FpQuantException($"input batch: the tensor for input '{name}' is null");
            if (!_tensors.TryAdd(name, tensor))
                throw new FpQuantException($"input batch: input '{name}' is given twice");
        }
    }

    /// <summary>A batch of the given (input name, tensor) pairs.</summary>
    /// <param name="tensors">Input name and tensor pairs; names must be unique and non-empty.</param>
    public InputBatch(params (string Name, InputTensor Tensor)[] tensors)
        : this((tensors ?? throw new ArgumentNullException(nameof(tensors)))
            .Select(t => new KeyValuePair<string, InputTensor>(t.Name, t.Tensor))) { }

    /// <summary>Samples in the batch: axis 0 of the first tensor (1 for a batch of scalars or no tensors).</summary>
    public int Samples => _tensors.Values.Select(t => t.Samples).DefaultIfEmpty(1).First();

    /// <inheritdoc/>
    public InputTensor this[string key] => _tensors[key];

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _tensors.Keys;

    /// <inheritdoc/>
    public IEnumerable<InputTensor> Values => _tensors.Values;

    /// <inheritdoc/>
    public int Count => _tensors.Count;

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out InputTensor value) =>
        _tensors.TryGetValue(key, out value);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, InputTensor>> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A mutable copy, for the code that feeds ONNX Runtime.</summary>
    internal Dictionary<string, InputTensor> ToDictionary() => new(_tensors, StringComparer.Ordinal);
}
