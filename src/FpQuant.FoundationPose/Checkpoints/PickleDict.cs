namespace FpQuant.Checkpoints;

/// <summary>An ordered dict (dict or collections.OrderedDict) as the pickle built it. Keys are found through a hash
/// index, so building a dict of n keys costs O(n) (a hostile pickle may hold hundreds of thousands).</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object?, object?>> _items = new();
    private readonly Dictionary<object, int> _index = new();
    private int _nullKey = -1;

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

    public void Set(object? key, object? value)
    {
        if (key == null)
        {
            if (_nullKey >= 0) _items[_nullKey] = new(null, value);
            else { _nullKey = _items.Count; _items.Add(new(null, value)); }
            return;
        }
        if (_index.TryGetValue(key, out int i)) { _items[i] = new(key, value); return; }
        _index[key] = _items.Count;
        _items.Add(new(key, value));
    }

    public bool TryGet(string key, out object? value)
    {
        if (_index.TryGetValue(key, out int i)) { value = _items[i].Value; return true; }
        value = null;
        return false;
    }
}
