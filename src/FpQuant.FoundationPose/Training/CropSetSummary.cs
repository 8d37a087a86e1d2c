using FpQuant.Geometry;

namespace FpQuant.Training;

/// <summary>What a crop run wrote. <see cref="Stopped"/>: cancelled before its count; finished shards are complete
/// and listed in the manifest, the shard being filled was dropped.</summary>
internal sealed record CropSetSummary(string ManifestPath, long RefinePairs, long ScoreGroups, int Shards,
    double Seconds, double PairsPerSecond, bool Stopped);
