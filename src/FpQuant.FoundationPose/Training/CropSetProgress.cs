using FpQuant.Geometry;

namespace FpQuant.Training;

/// <summary>After each shard: what is done so far, the rate of crop pairs (score groups count G pairs each) and the
/// process's working set.</summary>
internal sealed record CropSetProgress(string Shard, long RefinePairs, long ScoreGroups, double PairsPerSecond,
    double Seconds, long WorkingSetBytes);
