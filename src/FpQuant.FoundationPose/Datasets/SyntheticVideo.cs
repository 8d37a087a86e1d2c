using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Datasets;

/// <summary>
/// `fpquant make-dataset --video`: one BOP scene of consecutive frames for tracking. The demo bottle stands still on
/// the tilted table while the camera moves smoothly around it (a slow swing of up to 25 degrees about the bottle
/// and a gentle approach and retreat, at most about 1.8 degrees and a few millimetres a frame), the box passes
/// between camera and bottle once over the sequence (hiding part of it in the middle frames), and every frame has its
/// own depth noise, dropouts and RGB noise. Ground truth (both objects) for every frame. Deterministic for a seed.
/// </summary>
internal static class SyntheticVideo
{
    public const int SceneId = 1, FirstImId = 1;
    /// <summary>
    /// Frames of one swing of the camera: the motion per frame does not depend on the sequence's length.
    /// </summary>
    public const double SwingPeriodFrames = 90, SwingDegrees = 25;
    public const int MaxFrames = 10_000;

    /// <summary>
    /// The bottle in the first frame's camera (the world frame): upright on the table, turned towards the camera.
    /// </summary>
    private static readonly Pose BottleInWorld = DemoScene.TruePose;
    private static readonly Vec3 TableNormal = new(0, -0.5, -1), TablePoint = new(0, 0, 0.9);

    /// <summary>The camera's pose in the world at frame <paramref name="f"/> (0-based).</summary>
    public static Pose CameraInWorld(int f, ulong seed)
    {
        double phase = 2 * Math.PI * (seed % 97) / 97.0;
        double a =
            SwingDegrees * Math.PI / 180 * Math.Sin(
                2 * Math.PI * f / SwingPeriodFrames + phase) - SwingDegrees * Math.PI / 180 * Math.Sin(phase);
        double tilt = 0.08 * Math.Sin(2 * Math.PI * f / (1.7 * SwingPeriodFrames));
        double approach = 0.06 * Math.Sin(2 * Math.PI * f / (1.3 * SwingPeriodFrames));
        double sideways = 0.04 * Math.Sin(2 * Math.PI * f / (1.1 * SwingPeriodFrames)),
            upwards = 0.02 * Math.Sin(2 * Math.PI * f / (0.9 * SwingPeriodFrames));
        // Swing about the camera's vertical axis through the bottle, a slight nod, a drift sideways and up, and a move
        // along the line of sight.
        var pivot = BottleInWorld.T;
        var r = RotY(a) * RotX(tilt);
        var t = pivot - r * pivot + r * new Vec3(sideways, upwards, approach);
        return new Pose(r, t);
    }

    /// <summary>The box's pose in the world at frame <paramref name="f"/> of <paramref name="frames"/>: crossing in
    /// front of the bottle from left to right once over the sequence, turning slowly.</summary>
    public static Pose BoxInWorld(int f, int frames)
    {
        double s = frames > 1 ? (double)f / (frames - 1) : 0.5;
        var p = BottleInWorld.T;
        var t = new Vec3(p.X - 0.25 + 0.5 * s, p.Y + 0.01, p.Z - 0.16);
        return new Pose(RotY(0.6 + 1.2 * s) * RotX(0.4), t);
    }

    public static SyntheticDatasetSummary Write(string root, int frames, ulong seed, IProgress<int>? progress = null)
    {
        if (frames < 2 || frames > MaxFrames)
            throw new FpQuantException($"frames must be between 2 and {MaxFrames}, got {frames}");
        var bottle = DemoScene.Bottle();
        var box = OccluderBox.Create();
        var writer = new BopWriter(root);
        writer.WriteModels(new (int, TriMesh, IReadOnlyList<Pose>, IReadOnlyList<BopContinuousSymmetry>)[]
        {
            (SyntheticBopDataset.BottleId, bottle, Array.Empty<Pose>(), Array.Empty<BopContinuousSymmetry>()),
            (SyntheticBopDataset.BoxId, box, OccluderBox.Symmetries, Array.Empty<BopContinuousSymmetry>()),
        });
        var annotations = new List<BopImageAnnotations>();
        var instances = new List<(int, int, int, double)>();
        var targets = new List<(int, int, int, int)>();
        for (int f = 0; f < frames; f++)
        {
            var (ann, rgb, depth, masks) = Frame(bottle, box, f, frames, seed);
            writer.WriteImage(SceneId, ann.ImId, rgb, depth, SyntheticBopDataset.DepthScale, SyntheticBopDataset.Width,
                SyntheticBopDataset.Height, masks);
            annotations.Add(ann);
            foreach (var o in ann.Objects)
            {
                instances.Add((SceneId, ann.ImId, o.ObjId, o.Info!.VisibFract));
                if (o.Info.VisibFract >= 0.1) targets.Add((SceneId, ann.ImId, o.ObjId, 1));
            }
            progress?.Report(f + 1);
        }
        writer.WriteSceneJson(SceneId, annotations);
        writer.WriteTargets(targets);
        return new SyntheticDatasetSummary(root, 1, frames, instances);
    }

    /// <summary>Frame <paramref name="f"/> as an RGB-D frame with the bottle's visible mask, and the bottle's true pose
    /// (metres): the same pixels make-dataset --video writes, for `track --demo` without files.</summary>
    public static (RgbdFrame Frame, Pose BottlePose) DemoFrame(TriMesh bottle, TriMesh box, int f, int frames,
        ulong seed)
    {
        var (ann, rgb, depth, masks) = Frame(bottle, box, f, frames, seed);
        var gt = ann.Objects[0].PoseMm;
        // The written depth is quantised to the PNG's 0.1 mm steps; do the same here so both give the same frame.
        double step = SyntheticBopDataset.DepthScale / 1000;
        for (int i = 0; i < depth.Length; i++)
            depth[i] = (float)(Math.Clamp(Math.Round(depth[i] / step), 0, 65535) * step);
        var frame = new RgbdFrame(SyntheticBopDataset.Width, SyntheticBopDataset.Height, rgb, depth, masks[0].Item2,
            SyntheticBopDataset.K)
            { Source = $"demo video frame {f + 1}" };
        return (frame, new Pose(gt.R, gt.T / 1000));
    }

    /// <summary>Frames a demo sequence may keep in memory (about 2.5 MB each).</summary>
    public const int MaxKeptFrames = 300;

    /// <summary>`track --demo`: the sequence make-dataset --video writes, rendered in memory frame by frame; with
    /// <paramref name="keepFrames"/> every frame is kept once made (benchmarks track it many times), up to
    /// <see cref="MaxKeptFrames"/>.</summary>
    public static TrackSequence DemoSequence(int frames, ulong seed = 0, bool keepFrames = false)
    {
        int max = keepFrames ? MaxKeptFrames : MaxFrames;
        if (frames < 2 || frames > max) throw new FpQuantException($"frames must be between 2 and {max}, got {frames}");
        var bottle = DemoScene.Bottle();
        var box = OccluderBox.Create();
        var truth =
            Enumerable.Range(0, frames).Select(i => (Pose?)(CameraInWorld(i, seed).Inverse * BottleInWorld)).ToList();
        return new TrackSequence($"the demo video ({frames} frames)", Enumerable.Range(FirstImId, frames).ToList(),
            truth, i => DemoFrame(bottle, box, i, frames, seed).Frame,
            i => Scene.Create(DemoFrame(bottle, box, i, frames, seed).Frame, bottle,
                $"demo video frame {FirstImId + i}", truth[i]), preload: keepFrames);
    }

    private static (BopImageAnnotations, byte[], float[], List<(bool[], bool[])>) Frame(TriMesh bottle, TriMesh box,
        int f, int frames, ulong seed)
    {
        var toCamera = CameraInWorld(f, seed).Inverse;
        var bottlePose = toCamera * BottleInWorld;
        var boxPose = toCamera * BoxInWorld(f, frames);
        var k = SyntheticBopDataset.K;
        var (bt, brgb, _) =
            MeshShader.RenderImage(bottle, bottlePose, k, SyntheticBopDataset.Width, SyntheticBopDataset.Height);
        var (xt, xrgb, _) =
            MeshShader.RenderImage(box, boxPose, k, SyntheticBopDataset.Width, SyntheticBopDataset.Height);
        // Noise streams apart from the still images' (index < 10000) for every frame.
        return SyntheticBopDataset.Compose(SceneId, FirstImId + f, 1_000_000 + f, seed,
            new[] { (SyntheticBopDataset.BottleId, bottlePose, bt, brgb),
                (SyntheticBopDataset.BoxId, boxPose, xt, xrgb) },
            toCamera.R * TableNormal, toCamera.R * TablePoint + toCamera.T);
    }

    private static Mat3 RotX(double a)
    {
        double c = Math.Cos(a), s = Math.Sin(a);
        return new Mat3(1, 0, 0, 0, c, -s, 0, s, c);
    }

    private static Mat3 RotY(double a)
    {
        double c = Math.Cos(a), s = Math.Sin(a);
        return new Mat3(c, 0, s, 0, 1, 0, -s, 0, c);
    }
}
