using FpQuant.Datasets;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Training;

/// <summary>
/// Where a crop set's samples come from: one scene with a known pose (the demo, or a scene folder with its
/// <see cref="PoseFile.TruePoseFile"/>), or a new random demo scene per sample. Poses here are object-in-camera
/// for the mesh centred at its bounding-box centre, the frame the pipeline and its pose update work in.
/// </summary>
internal sealed class CropScenes
{
    private readonly Scene? _fixed;
    private readonly Pose _fixedTruth;
    private readonly ulong _refineKey, _scoreKey;

    public string Spec { get; }
    public string Description { get; }
    /// <summary>The mesh centred at its bounding-box centre, as the pipeline renders it.</summary>
    public TriMesh Mesh { get; }
    /// <summary>The centre the mesh was moved by (mesh-file frame).</summary>
    public Vec3 MeshCenter { get; }
    public double Diameter { get; }
    public CameraIntrinsics K { get; }
    public int Width { get; }
    public int Height { get; }
    public bool IsRandom => _fixed == null;

    private CropScenes(string spec, string description, TriMesh mesh, Vec3 center, double diameter, CameraIntrinsics k,
        int width, int height, Scene? scene, Pose truth, ulong seed)
    {
        Spec = spec; Description = description; Mesh = mesh; MeshCenter = center; Diameter = diameter; K = k; Width =
            width; Height = height;
        _fixed = scene; _fixedTruth = truth;
        _refineKey = SampleRandom.StreamKey(seed, "refine-scene");
        _scoreKey = SampleRandom.StreamKey(seed, "score-scene");
    }

    /// <summary>
    /// "demo", "random" or a scene folder (which must hold its true pose); the seed draws random scenes.
    /// </summary>
    public static CropScenes Open(string spec, ulong seed)
    {
        if (spec == "random")
        {
            var bottle = DemoScene.Bottle();
            var center = bottle.BoundsCenter;
            var mesh = bottle.Translated(center);
            return new CropScenes(spec, "random demo scenes (a new one per sample)", mesh, center, mesh.Diameter(),
                DemoScene.K, DemoScene.Width, DemoScene.Height, null, default, seed);
        }
        // A BOP-format dataset: its first selected instance (test targets, visible fraction >= 0.1) with its ground
        // truth.
        var scene = File.Exists(Path.Combine(spec, "models", BopDataset.ModelsInfoFile)) ? FirstBopInstance(spec)
            : Scene.Open(spec);
        if (scene.TruePose is not Pose truth)
            throw new FpQuantException($"scene folder '{spec}' has no {PoseFile.TruePoseFile}; crops need the " +
                $"object's true pose (4x4 object-in-camera for the mesh file, metres, row by row)");
        return new CropScenes(spec, scene.Description, scene.Mesh, scene.MeshCenter, scene.Diameter, scene.Frame.K,
            scene.Frame.Width, scene.Frame.Height, scene, scene.FromMeshFrame(truth), seed);
    }

    private static Scene FirstBopInstance(string root)
    {
        var dataset = BopDataset.Open(root);
        var instances = dataset.SelectInstances(new InstanceSelection { MaxInstances = 1 });
        if (instances.Count == 0)
            throw new FpQuantException($"BOP dataset '{root}' has no instance with a visible fraction of at least " +
                $"0.1 to take crops of");
        return dataset.SceneOf(instances[0]);
    }

    /// <summary>
    /// The random scene of refine pair or score group <paramref name="index"/> (null for a fixed scene).
    /// </summary>
    public DemoSceneLook? Look(bool score, long index)
    {
        if (!IsRandom) return null;
        var rng = new SampleRandom(score ? _scoreKey : _refineKey, index);
        return RandomDemoScenes.Draw(ref rng, Diameter / 2);
    }

    /// <summary>The true pose of the centred mesh in the sample's scene.</summary>
    public Pose Truth(DemoSceneLook? look) => look?.ObjectPose ?? _fixedTruth;

    /// <summary>The sample's camera frame and its XYZ, valid at least over the pixels [x0, x1) x [y0, y1): a random
    /// scene renders just those into <paramref name="buffers"/>.</summary>
    public (RgbdFrame Frame, float[] Xyz) Observe(DemoSceneLook? look, (int X0, int Y0, int X1, int Y1) region,
        DemoFrameBuffers? buffers)
    {
        if (_fixed != null) return (_fixed.Frame, _fixed.FrameXyz);
        var b = buffers ?? throw new ArgumentNullException(nameof(buffers), "random scenes render into reused buffers");
        DemoScene.Render(Mesh, look!, b, region.X0, region.Y0, region.X1, region.Y1);
        ObservedCrop.FrameXyz(b.Frame, b.FrameXyz, region.X0, region.Y0, region.X1, region.Y1);
        return (b.Frame, b.FrameXyz);
    }
}
