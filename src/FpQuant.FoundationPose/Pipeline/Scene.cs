using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Rendering;

namespace FpQuant.Pipeline;

/// <summary>
/// An RGB-D frame and the object's mesh, prepared for registration: the mesh centred at its bounding-box centre
/// (FoundationPose rotates hypotheses about it), its diameter, the frame's XYZ map and the translation guess.
/// </summary>
internal sealed class Scene
{
    public required RgbdFrame Frame { get; init; }
    /// <summary>The mesh moved so its bounding-box centre is the origin.</summary>
    public required TriMesh Mesh { get; init; }
    public required Vec3 MeshCenter { get; init; }
    public required double Diameter { get; init; }
    public required float[] FrameXyz { get; init; }
    public required TranslationGuess Guess { get; init; }
    public required string Description { get; init; }
    /// <summary>
    /// The object's pose in the original mesh frame when known (the demo scene, a folder with its true pose).
    /// </summary>
    public Pose? TruePose { get; init; }
    /// <summary>
    /// Seconds the translation guess took (a per-frame stage; the mesh's centre and diameter are per object).
    /// </summary>
    public double GuessSeconds { get; init; }

    public static Scene Create(RgbdFrame frame, TriMesh mesh, string description, Pose? truePose = null,
        string maskName = "mask", string depthName = "depth")
    {
        var sw = Stopwatch.StartNew();
        var guess = TranslationGuess.FromFrame(frame, maskName, depthName);
        double guessSeconds = sw.Elapsed.TotalSeconds;
        var center = mesh.BoundsCenter;
        double diameter = mesh.Diameter();
        if (!(diameter > 0))
            throw new FpQuantException($"mesh '{mesh.Source}' has zero size; it needs at least two distinct vertices");
        if (!double.IsFinite(diameter) || diameter > 1e6)
            throw new FpQuantException($"mesh '{mesh.Source}' spans {diameter} (in the depth's units, metres); check " +
                $"the mesh's units and vertices");
        return new Scene
        {
            Frame = frame, Mesh = mesh.Translated(center), MeshCenter = center, Diameter = diameter,
            FrameXyz = ObservedCrop.FrameXyz(frame), Guess = guess, Description = description, TruePose = truePose,
            GuessSeconds = guessSeconds,
        };
    }

    /// <summary>A pose of the centred mesh expressed for the original mesh: x_cam = R (x - c) + t.</summary>
    public Pose ToMeshFrame(Pose centred) => new(centred.R, centred.T - centred.R * MeshCenter);

    /// <summary>A pose of the original mesh expressed for the centred one.</summary>
    public Pose FromMeshFrame(Pose original) => new(original.R, original.T + original.R * MeshCenter);

    public const string RgbFile = "rgb.png", DepthFile = "depth.png", MaskFile = "mask.png",
        IntrinsicsFile = "cam_K.txt", MeshFile = "mesh.obj";

    /// <summary>A folder as <see cref="DemoScene.Save"/> writes it: rgb.png, depth.png, mask.png, cam_K.txt, mesh.obj
    /// (or mesh.ply), and optionally the object's true pose (<see cref="PoseFile.TruePoseFile"/>).</summary>
    public static Scene LoadFolder(string dir)
    {
        if (!Directory.Exists(dir))
            throw new FpQuantException($"scene folder '{dir}' does not exist; give 'demo' or a folder with " +
                $"{RgbFile}, {DepthFile}, {MaskFile}, {IntrinsicsFile} and {MeshFile}");
        string P(string f) => Path.Combine(dir, f);
        foreach (var f in new[] { RgbFile, DepthFile, MaskFile, IntrinsicsFile })
            if (!File.Exists(P(f)))
                throw new FpQuantException($"scene folder '{dir}' has no {f}; it needs {RgbFile}, {DepthFile}, " +
                    $"{MaskFile}, {IntrinsicsFile} and {MeshFile}");
        string mesh = File.Exists(P(MeshFile)) ? P(MeshFile) : File.Exists(P("mesh.ply")) ? P("mesh.ply")
            : throw new FpQuantException($"scene folder '{dir}' has no {MeshFile} or mesh.ply");
        var frame = FrameLoader.Load(P(RgbFile), P(DepthFile), P(MaskFile), CameraIntrinsics.Parse(P(IntrinsicsFile)));
        Pose? truth = File.Exists(P(PoseFile.TruePoseFile)) ? PoseFile.Read(P(PoseFile.TruePoseFile)) : null;
        return Create(frame, MeshFiles.Load(mesh), $"scene folder {dir}", truth, $"mask '{P(MaskFile)}'",
            $"depth '{P(DepthFile)}'");
    }

    /// <summary>"demo" (the built-in scene) or a scene folder.</summary>
    public static Scene Open(string spec) => spec == "demo" ? DemoScene.Create() : LoadFolder(spec);
}
