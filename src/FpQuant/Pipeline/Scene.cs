using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Networks;
using FpQuant.Rendering;

namespace FpQuant.Pipeline;

/// <summary>
/// An RGB-D frame and the object's mesh, prepared for registration: the mesh centred at its bounding-box centre
/// (FoundationPose rotates hypotheses about it), its diameter, the frame's XYZ map and the translation guess.
/// </summary>
public sealed class Scene
{
    public required RgbdFrame Frame { get; init; }
    /// <summary>The mesh moved so its bounding-box centre is the origin.</summary>
    public required TriMesh Mesh { get; init; }
    public required Vec3 MeshCenter { get; init; }
    public required double Diameter { get; init; }
    public required float[] FrameXyz { get; init; }
    public required TranslationGuess Guess { get; init; }
    public required string Description { get; init; }
    /// <summary>The object's pose in the original mesh frame when known (the demo scene).</summary>
    public Pose? TruePose { get; init; }
    /// <summary>Seconds the translation guess took (a per-frame stage; the mesh's centre and diameter are per object).</summary>
    public double GuessSeconds { get; init; }

    public static Scene Create(RgbdFrame frame, TriMesh mesh, string description, Pose? truePose = null,
        string maskName = "mask", string depthName = "depth")
    {
        var sw = Stopwatch.StartNew();
        var guess = TranslationGuess.FromFrame(frame, maskName, depthName);
        double guessSeconds = sw.Elapsed.TotalSeconds;
        var center = mesh.BoundsCenter;
        double diameter = mesh.Diameter();
        if (!(diameter > 0)) throw new FpQuantException($"mesh '{mesh.Source}' has zero size; it needs at least two distinct vertices");
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

    public const string RgbFile = "rgb.png", DepthFile = "depth.png", MaskFile = "mask.png", IntrinsicsFile = "cam_K.txt", MeshFile = "mesh.obj";

    /// <summary>A folder as <see cref="DemoScene.Save"/> writes it: rgb.png, depth.png, mask.png, cam_K.txt, mesh.obj (or mesh.ply).</summary>
    public static Scene LoadFolder(string dir)
    {
        if (!Directory.Exists(dir)) throw new FpQuantException($"scene folder '{dir}' does not exist; give 'demo' or a folder with {RgbFile}, {DepthFile}, {MaskFile}, {IntrinsicsFile} and {MeshFile}");
        string P(string f) => Path.Combine(dir, f);
        foreach (var f in new[] { RgbFile, DepthFile, MaskFile, IntrinsicsFile })
            if (!File.Exists(P(f))) throw new FpQuantException($"scene folder '{dir}' has no {f}; it needs {RgbFile}, {DepthFile}, {MaskFile}, {IntrinsicsFile} and {MeshFile}");
        string mesh = File.Exists(P(MeshFile)) ? P(MeshFile) : File.Exists(P("mesh.ply")) ? P("mesh.ply")
            : throw new FpQuantException($"scene folder '{dir}' has no {MeshFile} or mesh.ply");
        var frame = FrameLoader.Load(P(RgbFile), P(DepthFile), P(MaskFile), CameraIntrinsics.Parse(P(IntrinsicsFile)));
        return Create(frame, MeshFiles.Load(mesh), $"scene folder {dir}", null, $"mask '{P(MaskFile)}'", $"depth '{P(DepthFile)}'");
    }

    /// <summary>"demo" (the built-in scene) or a scene folder.</summary>
    public static Scene Open(string spec) => spec == "demo" ? DemoScene.Create() : LoadFolder(spec);
}

/// <summary>Crop sizes and thresholds for rendering and cropping (FoundationPose's refiner and scorer settings).</summary>
public sealed record CropSettings
{
    /// <summary>Window size as a multiple of the object's diameter (FoundationPose's refiner config uses 1.2).</summary>
    public double RefineCropRatio { get; init; } = 1.2;
    /// <summary>The scorer's window (its config uses 1.1).</summary>
    public double ScoreCropRatio { get; init; } = 1.1;

    public void Validate()
    {
        if (!(RefineCropRatio > 0) || !(ScoreCropRatio > 0))
            throw new FpQuantException($"crop ratios must be positive, got {RefineCropRatio} and {ScoreCropRatio}");
    }
}

/// <summary>
/// Real crops: each hypothesis rendered straight into its 160 x 160 window (parallel across hypotheses) and the
/// camera frame warped into the same window, both normalised with the refiner's or the scorer's thresholds.
/// </summary>
public sealed class SceneCropSource : ICropSource
{
    private readonly Scene _scene;
    private readonly CropSettings _settings;
    private readonly bool _reuse;
    private readonly Dictionary<int, (float[] Rendered, float[] Observed)> _buffers = new();

    /// <param name="reuseBuffers">Return the same arrays for batches of the same size, so a 252-hypothesis frame
    /// does not fault in 300 MB of fresh memory each time. A batch is then valid only until the next call with the
    /// same count — which is how the first-frame loop uses it; callers that keep batches must leave this off.</param>
    public SceneCropSource(Scene scene, CropSettings? settings = null, bool reuseBuffers = false)
    {
        _scene = scene;
        _settings = settings ?? new CropSettings();
        _settings.Validate();
        _reuse = reuseBuffers;
    }

    public string Description => $"rendered and observed crops of {_scene.Description}";

    public CropBatch Crops(IReadOnlyList<Pose> poses, int start, int count, int iteration)
    {
        bool scoring = iteration < 0;
        double ratio = scoring ? _settings.ScoreCropRatio : _settings.RefineCropRatio;
        float minDepth = scoring ? CropNormalization.ScorerMinDepth : CropNormalization.RefinerMinDepth;
        int s = NetworkNames.CropSize, n = s * s, c = NetworkNames.Channels;
        FloatTensor rendered, observed;
        if (_reuse)
        {
            if (!_buffers.TryGetValue(count, out var buf))
                _buffers[count] = buf = (new float[(long)count * c * n], new float[(long)count * c * n]);
            rendered = new FloatTensor(new[] { count, c, s, s }, buf.Rendered);
            observed = new FloatTensor(new[] { count, c, s, s }, buf.Observed);
        }
        else
        {
            rendered = new FloatTensor(count, c, s, s);
            observed = new FloatTensor(count, c, s, s);
        }
        var k = _scene.Frame.K;
        var sw = Stopwatch.StartNew();
        Parallel.For(0, count, () => new RenderTarget(s, s), (i, _, target) =>
        {
            var pose = poses[start + i];
            var w = CropWindow.For(pose.T, k, _scene.Diameter, ratio, s);
            var kc = w.Intrinsics(k);
            Rasterizer.Rasterize(_scene.Mesh, pose, kc, target);
            var slot = rendered.Data.AsSpan(i * c * n, c * n);
            MeshShader.Shade(_scene.Mesh, pose, kc, target, slot[..(3 * n)], slot[(3 * n)..]);
            CropNormalization.NormalizeXyz(slot[(3 * n)..], n, pose.T, _scene.Diameter, minDepth);
            return target;
        }, _ => { });
        double render = sw.Elapsed.TotalSeconds;
        sw.Restart();
        Parallel.For(0, count, i =>
        {
            var pose = poses[start + i];
            var w = CropWindow.For(pose.T, k, _scene.Diameter, ratio, s);
            var slot = observed.Data.AsSpan(i * c * n, c * n);
            ObservedCrop.Warp(_scene.Frame, _scene.FrameXyz, w, slot[..(3 * n)], slot[(3 * n)..]);
            CropNormalization.NormalizeXyz(slot[(3 * n)..], n, pose.T, _scene.Diameter, minDepth);
        });
        return new CropBatch(rendered, observed, render, sw.Elapsed.TotalSeconds);
    }
}
