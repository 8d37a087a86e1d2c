using FpQuant.Geometry;
using FpQuant.Pipeline;
using FpQuant.Imaging;
using FpQuant.Rendering;

namespace FpQuant.FoundationPose;

/// <summary>
/// A scene to register: an RGB-D frame, the object's mask and mesh, the camera intrinsics, and the object's true
/// pose when known. <see cref="Demo"/> is the built-in scene, so registering needs no files.
/// </summary>
public sealed class SampleScene
{
    private SampleScene(RgbdFrame frame, ObjectMesh mesh, Pose? truePose, string description)
    {
        Frame = frame; Mesh = mesh; TruePose = truePose; Description = description;
    }

    /// <summary>
    /// The built-in scene: a textured bottle (0.16 m tall) on a table in a 640 x 480 frame with millimetre depth,
    /// mild depth noise and dropouts, rendered at <see cref="TruePose"/>. The same every time.
    /// </summary>
    public static SampleScene Demo()
    {
        var mesh = DemoScene.Bottle();
        var frame = DemoScene.Render(mesh, DemoScene.TruePose, 0);
        return new SampleScene(frame, new ObjectMesh(mesh), DemoScene.TruePose, "the built-in demo scene");
    }

    /// <summary>The RGB-D frame (its <see cref="RgbdFrame.Mask"/> and <see cref="RgbdFrame.K"/> are
    /// <see cref="Mask"/> and <see cref="K"/>).</summary>
    public RgbdFrame Frame { get; }

    /// <summary>The object's pixels, row by row, one value per pixel.</summary>
    public bool[] Mask => Frame.Mask;

    /// <summary>The object's mesh.</summary>
    public ObjectMesh Mesh { get; }

    /// <summary>The camera intrinsics of <see cref="Frame"/>.</summary>
    public CameraIntrinsics K => Frame.K;

    /// <summary>The object's true pose in the camera for <see cref="Mesh"/>, or null when unknown.</summary>
    public Pose? TruePose { get; }

    /// <summary>What the scene is.</summary>
    public string Description { get; }
}
