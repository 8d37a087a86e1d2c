namespace FpQuant.Checkpoints;

/// <summary>A pickle GLOBAL that the reader accepted (module and name).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}
