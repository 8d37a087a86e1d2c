using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Training;

/// <summary>Hypotheses near a true pose: turned about a random axis through the object's centre (in the camera
/// frame, the way the refiner's update turns them) and moved in a random direction.</summary>
internal static class PosePerturbation
{
    /// <summary>R = exp(angle * axis) R_true with the angle uniform in [0, maxRotationRad]; t = t_true + a random
    /// direction times a length uniform in [0, maxTranslation].</summary>
    public static Pose Around(Pose truth, double maxRotationRad, double maxTranslation, ref SampleRandom rng)
    {
        var w = rng.UnitVector() * (maxRotationRad * rng.Next());
        var d = rng.UnitVector() * (maxTranslation * rng.Next());
        return new Pose(Mat3.ExpSo3(w) * truth.R, truth.T + d);
    }
}
