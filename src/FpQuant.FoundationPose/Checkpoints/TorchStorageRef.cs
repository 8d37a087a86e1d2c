namespace FpQuant.Checkpoints;

/// <summary>
/// A storage named by a pickle's persistent id: its key in the archive, element type and element count.
/// </summary>
internal sealed record TorchStorageRef(string Key, TorchDType DType, long Numel, string Location)
{
    /// <summary>The most elements a storage may claim (2^40): far beyond any checkpoint, small enough that byte counts
    /// and element reaches never overflow.</summary>
    public const long MaxNumel = 1L << 40;

    public long Bytes => Numel * TorchDTypes.Size(DType);
}
