using FpQuant.Core;
using FpQuant.Geometry;

namespace FpQuant.Pipeline;

public sealed record FirstFrameSettings
{
    public int Hypotheses { get; init; } = 16;
    public int Iterations { get; init; } = 1;
    /// <summary>Pairs per RefineNet call (Isaac ROS's engines take 42); scoring always takes all hypotheses as one group.</summary>
    public int RefineBatch { get; init; } = 42;
    public double Diameter { get; init; } = 0.2;
    public Vec3 TranslationGuess { get; init; } = new(0, 0, 0.6);

    public void Validate()
    {
        if (Hypotheses is < 1 or > PoseHypotheses.Views * PoseHypotheses.InPlane)
            throw new FpQuantException($"--hypotheses must be between 1 and 252, got {Hypotheses}");
        if (Iterations < 0) throw new FpQuantException($"--iterations must be 0 or more, got {Iterations}");
        if (RefineBatch < 1) throw new FpQuantException($"--refine-batch must be positive, got {RefineBatch}");
    }
}
