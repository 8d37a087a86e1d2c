using FpQuant.Checkpoints;
using FpQuant.Core;

namespace FpQuant.Networks;

/// <summary>Whether a state_dict is one of these networks': the check lives with the networks' schema, so the
/// checkpoint layer below stays free of them.</summary>
internal static class StateDictValidation
{
    /// <summary>
    /// Checks the keys and shapes against a network's schema. Every missing, unexpected and mis-shaped key is
    /// listed in one error so a user fixes a checkpoint in one go.
    /// </summary>
    public static void Validate(this StateDict stateDict, NetworkKind kind, string source)
    {
        var schema = StateDictSchema.For(kind);
        var expected = schema.ToDictionary(e => e.Key, e => e.Shape, StringComparer.Ordinal);
        var missing = schema.Where(e => !stateDict.Contains(e.Key)).Select(e => e.Key).ToList();
        var unexpected = stateDict.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var misShaped = new List<string>();
        foreach (var k in stateDict.Keys)
        {
            if (!expected.TryGetValue(k, out var shape)) continue;
            var got = stateDict[k].Shape;
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
        throw new FpQuantException($"{source} does not match {kind.ClassName()}'s state_dict: " +
            $"{string.Join("; ", parts)}");
    }
}
