using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>
/// Everything that makes one demo frame: the object's pose, the table plane and its wood texture, the light, and the
/// sensor's noise. The defaults are the built-in demo scene; <c>fpquant crops --scene random</c> draws the rest.
/// </summary>
internal sealed record DemoSceneLook
{
    /// <summary>The object's pose in the camera (the demo mesh is centred at its bounding-box centre).</summary>
    public Pose ObjectPose { get; init; } = DemoScene.TruePose;
    /// <summary>A point on the table plane (camera frame, metres) and the plane's normal (any length).</summary>
    public Vec3 TablePoint { get; init; } = new(0, 0, 0.9);
    public Vec3 TableNormal { get; init; } = new(0, -0.5, -1);
    /// <summary>Wood: base colour, grain frequency (radians per metre along x), the grain's wobble (amplitude and
    /// frequency along z), planks per metre and the darker planks' shade.</summary>
    public (float R, float G, float B) Wood { get; init; } = (0.55f, 0.38f, 0.22f);
    public double GrainFrequency { get; init; } = 90;
    public double GrainWobble { get; init; } = 3;
    public double GrainWobbleFrequency { get; init; } = 40;
    public double PlanksPerMetre { get; init; } = 10;
    public float PlankShade { get; init; } = 0.85f;
    /// <summary>The light's gain per colour channel on everything in view.</summary>
    public (float R, float G, float B) Light { get; init; } = (1f, 1f, 1f);
    /// <summary>
    /// Depth noise: the sum of three uniforms in [-1, 1) times this (metres), before millimetre rounding.
    /// </summary>
    public double DepthNoise { get; init; } = 0.001;
    /// <summary>A pixel loses its depth when its uniform in [-1, 1) exceeds this (0.99: 0.5 % of pixels).</summary>
    public float DropoutThreshold { get; init; } = 0.99f;
    /// <summary>RGB noise: a uniform in [-1, 1) times this, added to all three channels (0..1 units).</summary>
    public float RgbNoise { get; init; } = 2f / 255;
    /// <summary>Seeds the per-pixel noise streams.</summary>
    public ulong NoiseSeed { get; init; }
}
