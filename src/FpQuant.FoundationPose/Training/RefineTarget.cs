using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Training;

/// <summary>
/// The refiner outputs that move a hypothesis exactly onto the truth under <see cref="PoseUpdate.Apply"/>:
/// trans = (t_true - t_hyp) / (diameter / 2); rot = atanh(w / rot_normalizer) with exp_so3(w)^T = R_true R_hyp^T.
/// </summary>
internal static class RefineTarget
{
    /// <summary>
    /// Largest |tanh(rot)| a target may need: beyond it the network would have to output more than 3.
    /// </summary>
    public const double MaxTanh = 0.995;

    /// <summary>Rotations up to this angle are always in reach, whatever the axis.</summary>
    public static double AlwaysReachableDegrees => PoseUpdate.RotNormalizer * MaxTanh * 180 / Math.PI;

    /// <summary>
    /// No rotation beyond this angle is in reach (the update's per-axis limit along the cube's diagonal).
    /// </summary>
    public static double NeverReachableDegrees => AlwaysReachableDegrees * Math.Sqrt(3);

    /// <returns>False when the rotation needs |tanh| above <see cref="MaxTanh"/> on some axis (out of reach).</returns>
    public static bool TryCompute(Pose hypothesis, Pose truth, double diameter, out Vec3 trans, out Vec3 rot)
    {
        trans = (truth.T - hypothesis.T) / (diameter / 2);
        // R_true = dR R_hyp with dR = exp(w)^T, so exp(w) = R_hyp R_true^T.
        var w = (hypothesis.R * truth.R.T).LogSo3() / PoseUpdate.RotNormalizer;
        rot = default;
        if (Math.Abs(w.X) > MaxTanh || Math.Abs(w.Y) > MaxTanh || Math.Abs(w.Z) > MaxTanh) return false;
        rot = new Vec3(Math.Atanh(w.X), Math.Atanh(w.Y), Math.Atanh(w.Z));
        return true;
    }
}
