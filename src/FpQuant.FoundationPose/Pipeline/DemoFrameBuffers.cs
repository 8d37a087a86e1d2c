using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Rendering;

namespace FpQuant.Pipeline;

/// <summary>A demo-sized frame and the render buffers behind it, reused from one demo frame to the next so a stream
/// of random scenes allocates nothing per scene.</summary>
internal sealed class DemoFrameBuffers
{
    public RenderTarget Target { get; } = new(DemoScene.Width, DemoScene.Height);
    public float[] RgbPlanes { get; } = new float[3 * DemoScene.Width * DemoScene.Height];
    public float[] XyzPlanes { get; } = new float[3 * DemoScene.Width * DemoScene.Height];
    /// <summary>The frame whose RGB, depth and mask arrays each render overwrites.</summary>
    public RgbdFrame Frame { get; } =
        new(DemoScene.Width, DemoScene.Height, new byte[3 * DemoScene.Width * DemoScene.Height],
        new float[DemoScene.Width * DemoScene.Height], new bool[DemoScene.Width * DemoScene.Height],
        DemoScene.K) { Source = "demo scene" };
    /// <summary>The frame's XYZ (interleaved), as <see cref="ObservedCrop.FrameXyz(RgbdFrame)"/> computes it.</summary>
    public float[] FrameXyz { get; } = new float[3 * DemoScene.Width * DemoScene.Height];
}
