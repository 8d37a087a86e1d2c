using FpQuant.Core;

namespace FpQuant.Checkpoints;

/// <summary>Named float tensors in state_dict order, as a weight source delivers them.</summary>
internal sealed class StateDict
{
    private readonly Dictionary<string, FloatTensor> _tensors = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    public IReadOnlyList<string> Keys => _order;
    public int Count => _order.Count;

    public void Add(string key, FloatTensor t)
    {
        if (_tensors.ContainsKey(key)) throw new ArgumentException($"duplicate key '{key}'");
        _tensors[key] = t;
        _order.Add(key);
    }

    public bool Contains(string key) => _tensors.ContainsKey(key);
    public bool TryGet(string key, out FloatTensor t) => _tensors.TryGetValue(key, out t!);

    public FloatTensor this[string key] =>
        _tensors.TryGetValue(key, out var t) ? t : throw new FpQuantException($"state_dict has no key '{key}'");
}
