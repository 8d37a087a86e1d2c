using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Training;

/// <summary>What <see cref="CropSetWriter"/> produces; option names are the CLI's, so messages name them.</summary>
internal sealed record CropSetOptions
{
    public const int DefaultShardPairs = 256;

    /// <summary>"demo", "random" (a new demo scene per sample) or a scene folder with its truth.</summary>
    public string Scene { get; init; } = "demo";
    /// <summary>
    /// Refine pairs and score groups to write (each, for <see cref="CropSetKind.Both"/>); 0 streams until cancelled.
    /// </summary>
    public long Count { get; init; } = 1024;
    /// <summary>Samples per shard (pairs for refine, groups for score); 0 picks about 256 pairs' worth.</summary>
    public int ShardSize { get; init; }
    public CropSetKind Kind { get; init; } = CropSetKind.Refine;
    /// <summary>
    /// Hypotheses turn up to this many degrees from the truth (refine pairs stay within the update's reach).
    /// </summary>
    public double MaxRotationDeg { get; init; } = 15;
    /// <summary>Hypotheses move up to this fraction of the object's diameter.</summary>
    public double MaxTranslationFraction { get; init; } = 0.1;
    /// <summary>Hypotheses per score group.</summary>
    public int Group { get; init; } = 16;
    /// <summary>Element type of the crops: float32 or float16 (targets, poses and errors are always float32).</summary>
    public NpyElementType CropType { get; init; } = NpyElementType.Float32;
    public ulong Seed { get; init; }
    /// <summary>Worker threads; 0 = one per core.</summary>
    public int Threads { get; init; }
    public CropSettings Crops { get; init; } = new();

    public int ShardSamples(bool score) => ShardSize > 0 ? ShardSize : score ? Math.Max(1, DefaultShardPairs / Group)
        : DefaultShardPairs;

    public int WorkerThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    public void Validate()
    {
        if (Count < 0) throw new FpQuantException($"Count must be 0 (stream until stopped) or more, got {Count}");
        if (ShardSize < 0) throw new FpQuantException($"ShardSize must be positive, got {ShardSize}");
        if (Group is < 1 or > 1024) throw new FpQuantException($"Group must be between 1 and 1024, got {Group}");
        if (Threads < 0) throw new FpQuantException($"Threads must be 0 (one per core) or more, got {Threads}");
        if (CropType is not (NpyElementType.Float32 or NpyElementType.Float16))
            throw new FpQuantException($"CropType must be float32 or float16, got " +
                $"{CropType.ToString().ToLowerInvariant()}");
        if (!(MaxTranslationFraction >= 0 && MaxTranslationFraction <= 1))
            throw new FpQuantException($"MaxTranslationFraction must be between 0 and 1 (a fraction of the " +
                $"diameter), got {MaxTranslationFraction}");
        if (!(MaxRotationDeg >= 0 && MaxRotationDeg <= 180))
            throw new FpQuantException($"MaxRotationDeg must be between 0 and 180, got {MaxRotationDeg}");
        if (Kind != CropSetKind.Score && MaxRotationDeg > RefineTarget.NeverReachableDegrees)
            throw new FpQuantException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"MaxRotationDeg {MaxRotationDeg} is beyond the refiner's reach: one update turns at most " +
                $"{RefineTarget.NeverReachableDegrees:F1} degrees (and up to " +
                $"{RefineTarget.AlwaysReachableDegrees:F1} about any axis); give at most " +
                $"{Math.Floor(RefineTarget.NeverReachableDegrees)}, or Kind Score"));
        // A shard's crops are held in memory twice (one filling, one writing); keep a shard's crops under 2^31
        // elements.
        foreach (bool score in new[] { false, true })
        {
            long elements = (long)ShardSamples(score) * (score ? Group : 1) * CropPair.Floats;
            if (elements > Array.MaxLength)
                throw new FpQuantException($"ShardSize {ShardSamples(score)} makes {(score ? "score" : "refine")} " +
                    $"shards of {elements} values, more than one array holds; give a smaller ShardSize");
        }
        Crops.Validate();
    }
}
