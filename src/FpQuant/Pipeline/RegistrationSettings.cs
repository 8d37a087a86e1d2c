namespace FpQuant.Pipeline;

public sealed record RegistrationSettings
{
    public int Hypotheses { get; init; } = PoseHypotheses.Views * PoseHypotheses.InPlane;
    public int Iterations { get; init; } = 5;
    public int RefineBatch { get; init; } = 42;
    public CropSettings Crops { get; init; } = new();
}
