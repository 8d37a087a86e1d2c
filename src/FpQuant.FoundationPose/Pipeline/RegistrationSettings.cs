namespace FpQuant.Pipeline;

internal sealed record RegistrationSettings
{
    public int Hypotheses { get; init; } = PoseHypotheses.Views * PoseHypotheses.InPlane;
    public int Iterations { get; init; } = 5;
    public int RefineBatch { get; init; } = FirstFrameSettings.IsaacRosRefineBatch;
    /// <summary>See <see cref="FirstFrameSettings.ScoreChunk"/>.</summary>
    public int ScoreChunk { get; init; }
    /// <summary>See <see cref="FirstFrameSettings.MaxMemoryBytes"/>.</summary>
    public long MaxMemoryBytes { get; init; }
    public CropSettings Crops { get; init; } = new();
}
