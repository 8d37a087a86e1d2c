namespace FpQuant.Networks;

/// <summary>One state_dict entry as PyTorch names it.</summary>
internal sealed record StateDictEntry(string Key, int[] Shape, bool IsParameter)
{
    public long Elements => Shape.Aggregate(1L, (a, d) => a * d);
}
