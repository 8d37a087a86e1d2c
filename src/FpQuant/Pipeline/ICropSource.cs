using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>Supplies rendered/observed crop pairs for hypotheses [start, start + count) at a refine iteration
/// (or for scoring, iteration = -1).</summary>
public interface ICropSource
{
    string Description { get; }
    CropBatch Crops(IReadOnlyList<Pose> poses, int start, int count, int iteration);
}
