using FpQuant.Core;

namespace FpQuant.Networks;

/// <summary>Named float tensors in state_dict order, as a weight source delivers them.</summary>
public sealed class StateDict
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

    /// <summary>
    /// Checks the keys and shapes against a network's schema. Every missing, unexpected and mis-shaped key is
    /// listed in one error so a user fixes a checkpoint in one go.
    /// </summary>
    public void Validate(NetworkKind kind, string source)
    {
        var schema = StateDictSchema.For(kind);
        var expected = schema.ToDictionary(e => e.Key, e => e.Shape, StringComparer.Ordinal);
        var missing = schema.Where(e => !_tensors.ContainsKey(e.Key)).Select(e => e.Key).ToList();
        var unexpected = _order.Where(k => !expected.ContainsKey(k)).ToList();
        var misShaped = new List<string>();
        foreach (var k in _order)
        {
            if (!expected.TryGetValue(k, out var shape)) continue;
            var got = _tensors[k].Shape;
            // A 0-dim scalar and a 1-element vector are the same for num_batches_tracked.
            bool same = got.SequenceEqual(shape) || (shape.Length == 0 && got.Aggregate(1L, (a, d) => a * d) == 1);
            if (!same)
                misShaped.Add($"{k} (expected [{string.Join("x", shape)}], got [{string.Join("x", got)}])");
        }
        if (missing.Count + unexpected.Count + misShaped.Count == 0) return;
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing {missing.Count} key(s): {string.Join(", ", missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count} key(s): {string.Join(", ", unexpected)}");
        if (misShaped.Count > 0) parts.Add($"mis-shaped {misShaped.Count} key(s): {string.Join(", ", misShaped)}");
        throw new FpQuantException($"{source} does not match {kind.ClassName()}'s state_dict: {string.Join("; ", parts)}");
    }
}
