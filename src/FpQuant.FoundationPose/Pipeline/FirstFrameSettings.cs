using FpQuant.Core;
using FpQuant.Geometry;

namespace FpQuant.Pipeline;

internal sealed record FirstFrameSettings
{
    /// <summary>
    /// Pairs per RefineNet call in Isaac ROS's engines (its max batch), the default of every refine loop.
    /// </summary>
    public const int IsaacRosRefineBatch = 42;

    public int Hypotheses { get; init; } = 16;
    public int Iterations { get; init; } = 1;
    /// <summary>Pairs per RefineNet call at most (a memory budget may make it smaller).</summary>
    public int RefineBatch { get; init; } = IsaacRosRefineBatch;
    /// <summary>
    /// Pairs per call of ScoreNet's per-pair part when scoring in chunks; 0 = as many as the budget allows.
    /// </summary>
    public int ScoreChunk { get; init; }
    /// <summary>Memory budget of the process in bytes, which caps the refine batch and the score chunk (see
    /// <see cref="MemoryBudget"/>); 0 = none (refine in batches of <see cref="RefineBatch"/>, score all at
    /// once).</summary>
    public long MaxMemoryBytes { get; init; }
    public double Diameter { get; init; } = 0.2;
    public Vec3 TranslationGuess { get; init; } = new(0, 0, 0.6);

    public void Validate()
    {
        if (Hypotheses is < 1 or > PoseHypotheses.Views * PoseHypotheses.InPlane)
            throw new FpQuantException($"Hypotheses must be between 1 and 252, got {Hypotheses}");
        if (Iterations < 0) throw new FpQuantException($"Iterations must be 0 or more, got {Iterations}");
        if (RefineBatch < 1) throw new FpQuantException($"RefineBatch must be positive, got {RefineBatch}");
        if (ScoreChunk < 0)
            throw new FpQuantException($"ScoreChunk must be 0 (from the memory budget) or positive, got {ScoreChunk}");
        if (MaxMemoryBytes < 0)
            throw new FpQuantException($"MaxMemoryBytes must be 0 (none) or positive, got {MaxMemoryBytes}");
    }
}
