using FpQuant.Core;

namespace FpQuant.Datasets;

/// <summary>Which instances to evaluate: scene and object ids (empty = all), a cap, and the least visible fraction.
/// When the split has a target list (test_targets_bop19.json) only its targets are candidates.</summary>
internal sealed record InstanceSelection
{
    public IReadOnlyList<int> Scenes { get; init; } = Array.Empty<int>();
    public IReadOnlyList<int> Objects { get; init; } = Array.Empty<int>();
    public int? MaxInstances { get; init; }
    public double MinVisible { get; init; } = 0.1;
    public bool UseTargets { get; init; } = true;

    public void Validate()
    {
        if (MaxInstances is < 1) throw new FpQuantException($"MaxInstances must be at least 1, got {MaxInstances}");
        if (!(MinVisible >= 0 && MinVisible <= 1))
            throw new FpQuantException($"MinVisible must be between 0 and 1, got {MinVisible}");
    }
}
