using FpQuant.Core;
using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>The refiner's pose update (spec section 7): FoundationPose's egocentric delta, the translation moved
/// by trans times half the diameter and the rotation turned on the left by
/// exp_so3(tanh(rot) * rot_normalizer)^T.</summary>
internal static class PoseUpdate
{
    public const double RotNormalizer = 0.3490658503988659;

    /// <summary>dt = trans * diameter/2; dR = exp_so3(tanh(rot) * rot_normalizer)^T; t' = t + dt; R' = dR R.</summary>
    public static Pose Apply(Pose p, Vec3 trans, Vec3 rot, double diameter)
    {
        var dt = trans * (diameter / 2);
        var w = new Vec3(Math.Tanh(rot.X), Math.Tanh(rot.Y), Math.Tanh(rot.Z)) * RotNormalizer;
        var dR = Mat3.ExpSo3(w).T;
        return new Pose(dR * p.R, p.T + dt);
    }

    /// <summary>Updates every pose from the refiner's N x 3 outputs.</summary>
    public static void ApplyAll(IList<Pose> poses, FloatTensor trans, FloatTensor rot, int offset, double diameter)
    {
        int n = trans.Shape[0];
        for (int i = 0; i < n; i++)
        {
            var t = new Vec3(trans.Data[3 * i], trans.Data[3 * i + 1], trans.Data[3 * i + 2]);
            var r = new Vec3(rot.Data[3 * i], rot.Data[3 * i + 1], rot.Data[3 * i + 2]);
            poses[offset + i] = Apply(poses[offset + i], t, r, diameter);
        }
    }
}
