using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Training;

/// <summary>
/// Demo scenes drawn at random: the bottle anywhere in view at 0.45-1 m in any orientation, a table behind it at a
/// random tilt and distance with its own wood, a tinted light of varying strength, and varying depth noise, depth
/// dropouts and RGB noise. One draw per sample, from that sample's own random stream.
/// </summary>
internal static class RandomDemoScenes
{
    public const double MinDistance = 0.45, MaxDistance = 1.0;

    /// <param name="objectRadius">Half the object's diameter: the table stays at least this far behind its
    /// centre.</param>
    public static DemoSceneLook Draw(ref SampleRandom rng, double objectRadius)
    {
        var k = DemoScene.K;
        var r = rng.Rotation();
        double z = rng.Range(MinDistance, MaxDistance);
        // The object's centre projects inside the middle of the image, so most of its window is in view.
        double u = rng.Range(0.2 * DemoScene.Width, 0.8 * DemoScene.Width),
            v = rng.Range(0.2 * DemoScene.Height, 0.8 * DemoScene.Height);
        var t = k.BackProject(u, v, z);
        // The plane's normal faces the camera for every pixel's ray (|x| <= 0.4, y in [-0.9, -0.1] against rays of
        // |x| <= 0.54, |y| <= 0.4), so the table fills the background.
        var normal = new Vec3(rng.Range(-0.4, 0.4), rng.Range(-0.9, -0.1), -1);
        var behind = t - normal.Normalized * (objectRadius + rng.Range(0, 0.15));
        double gain = rng.Range(0.6, 1.3);
        return new DemoSceneLook
        {
            ObjectPose = new Pose(r, t),
            TablePoint = behind,
            TableNormal = normal,
            Wood = ((float)rng.Range(0.3, 0.8), (float)rng.Range(0.2, 0.6), (float)rng.Range(0.1, 0.45)),
            GrainFrequency = rng.Range(40, 160),
            GrainWobble = rng.Range(0, 6),
            GrainWobbleFrequency = rng.Range(10, 60),
            PlanksPerMetre = rng.Range(4, 20),
            PlankShade = (float)rng.Range(0.65, 1),
            Light = ((float)(gain * rng.Range(0.9, 1.1)), (float)(gain * rng.Range(0.9, 1.1)),
                (float)(gain * rng.Range(0.9, 1.1))),
            DepthNoise = rng.Range(0, 0.003),
            // A uniform in [-1, 1) exceeds 1 - 2p with probability p: 0-5 % of pixels lose their depth.
            DropoutThreshold = (float)(1 - 2 * rng.Range(0, 0.05)),
            RgbNoise = (float)rng.Range(0, 6.0 / 255),
            NoiseSeed = rng.NextUInt64(),
        };
    }
}
