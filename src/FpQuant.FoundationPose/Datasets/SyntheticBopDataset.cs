using FpQuant.Geometry;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Datasets;

/// <summary>
/// `fpquant make-dataset`: a small BOP dataset rendered by the project's rasterizer, so tests, CI and the README
/// have one without downloads. Object 1 is the demo's textured bottle (no symmetry: its label), object 2 a box
/// with three half-turn symmetries. Each image shows both at known poses drawn from the seed: the bottle 0.45-0.85 m
/// away anywhere in the middle of the view at any rotation; in two images of three the box stands in front of it and
/// hides part of it (visible fraction 0.35-0.9), in the others it stands beside it. A tilted wooden table behind,
/// millimetre depth with mild noise and 0.5 % dropouts, a little RGB noise. Deterministic for a seed.
/// </summary>
internal static class SyntheticBopDataset
{
    public const int BottleId = 1, BoxId = 2, Width = 640, Height = 480;
    /// <summary>
    /// Depth PNG values are tenths of a millimetre (as YCB-Video's), so the reader's scaling is exercised.
    /// </summary>
    public const double DepthScale = 0.1;
    public static CameraIntrinsics K => DemoScene.K;

    public static SyntheticDatasetSummary Write(string root, int images, ulong seed, IProgress<int>? progress = null)
    {
        if (images < 1 || images > 10_000)
            throw new FpQuantException($"images must be between 1 and 10000, got {images}");
        var bottle = DemoScene.Bottle();
        var box = OccluderBox.Create();
        var writer = new BopWriter(root);
        writer.WriteModels(new (int, TriMesh, IReadOnlyList<Pose>, IReadOnlyList<BopContinuousSymmetry>)[]
        {
            (BottleId, bottle, Array.Empty<Pose>(), Array.Empty<BopContinuousSymmetry>()),
            (BoxId, box, OccluderBox.Symmetries, Array.Empty<BopContinuousSymmetry>()),
        });
        int scenes = images > 1 ? 2 : 1, perScene = (images + scenes - 1) / scenes;
        var instances = new List<(int, int, int, double)>();
        var targets = new List<(int, int, int, int)>();
        int done = 0;
        for (int s = 1; s <= scenes; s++)
        {
            var annotations = new List<BopImageAnnotations>();
            for (int im = 1; im <= perScene && done < images; im++, done++)
            {
                var (ann, rgb, depth, masks) = RenderImage(bottle, box, s, im, done, seed);
                writer.WriteImage(s, im, rgb, depth, DepthScale, Width, Height, masks);
                annotations.Add(ann);
                foreach (var o in ann.Objects)
                {
                    instances.Add((s, im, o.ObjId, o.Info!.VisibFract));
                    if (o.Info.VisibFract >= 0.1) targets.Add((s, im, o.ObjId, 1));
                }
                progress?.Report(done + 1);
            }
            writer.WriteSceneJson(s, annotations);
        }
        writer.WriteTargets(targets);
        return new SyntheticDatasetSummary(root, scenes, images, instances);
    }

    private static (BopImageAnnotations, byte[], float[], List<(bool[], bool[])>) RenderImage(TriMesh bottle,
        TriMesh box, int sceneId, int imId, int index, ulong seed)
    {
        ulong key = Hashing.Fnv1a64("make-dataset") ^ seed;
        double U(int j) => 0.5 * (Hashing.Uniform(key, (ulong)index * 64 + (ulong)j + 1) + 1); // [0, 1)
        double z = 0.45 + 0.4 * U(0);
        var bottlePose = new Pose(Mat3.UniformRotation(U(1), U(2), U(3)),
            K.BackProject(Width / 2.0 + (U(4) - 0.5) * 0.4 * Width, Height / 2.0 + (U(5) - 0.5) * 0.4 * Height, z));
        bool occlude = index % 3 != 0;
        // Draw the box's placement until it hides the intended share of the bottle (or none of it), keeping the last
        // try.
        var (bt, brgb, _) = MeshShader.RenderImage(bottle, bottlePose, K, Width, Height);
        var bottleImg = (bt, brgb);
        int bottlePixels = bottleImg.Item1.Triangle.Count(t => t >= 0);
        Pose boxPose = default;
        (RenderTarget, float[]) boxImg = default;
        for (int attempt = 0; attempt < 12; attempt++)
        {
            int j = 8 + 5 * attempt;
            var rot = Mat3.UniformRotation(U(j), U(j + 1), U(j + 2));
            Vec3 t;
            if (occlude)
            {
                double zb = z - 0.12 - 0.06 * U(j + 3), angle = 2 * Math.PI * U(j + 4),
                    lateral = 0.03 + 0.05 * U(j + 3);
                t = bottlePose.T * (zb / z) + new Vec3(Math.Cos(angle), Math.Sin(angle), 0) * lateral;
            }
            else
            {
                var (u, v) = K.Project(bottlePose.T);
                double ub = u < Width / 2.0 ? u + 0.33 * Width : u - 0.33 * Width;
                t = K.BackProject(ub, Height / 2.0 + (U(j + 3) - 0.5) * 0.3 * Height, z + 0.1 * (U(j + 4) - 0.5));
            }
            boxPose = new Pose(rot, t);
            var (xt, xrgb, _) = MeshShader.RenderImage(box, boxPose, K, Width, Height);
            boxImg = (xt, xrgb);
            int hidden = 0;
            for (int i = 0; i < Width * Height; i++)
                if (bottleImg.Item1.Triangle[i] >= 0 && xt.Triangle[i] >= 0 && xt.Depth[i] < bottleImg.Item1.Depth[i])
                    hidden++;
            double visib = 1 - (double)hidden / Math.Max(1, bottlePixels);
            bool inView = xt.Triangle.Count(tr => tr >= 0) > 1500;
            if (inView && (occlude ? visib is >= 0.35 and <= 0.9 : hidden == 0)) break;
        }
        return Compose(sceneId, imId, index, seed,
            new[] { (BottleId, bottlePose, bottleImg.Item1, bottleImg.Item2),
                (BoxId, boxPose, boxImg.Item1!, boxImg.Item2!) });
    }

    /// <param name="tableNormal">With <paramref name="tablePoint"/>: the table plane in the camera (default: the still
    /// images' tilted table).</param>
    internal static (BopImageAnnotations, byte[], float[], List<(bool[], bool[])>) Compose(int sceneId, int imId,
        int index, ulong seed,
        (int ObjId, Pose Pose, RenderTarget Target, float[] Rgb)[] objects, Vec3? tableNormal = null,
        Vec3? tablePoint = null)
    {
        int n = Width * Height;
        var rgb = new byte[3 * n];
        var depth = new float[n];
        var owner = new int[n];
        var normal = (tableNormal ?? new Vec3(0, -0.5, -1)).Normalized;
        double d0 = Vec3.Dot(normal, tablePoint ?? new Vec3(0, 0, 1.15));
        ulong depthKey = Hashing.Fnv1a64("make-dataset-depth") ^ seed ^ (ulong)index << 20,
            rgbKey = Hashing.Fnv1a64("make-dataset-rgb") ^ seed ^ (ulong)index << 20;
        for (int v = 0; v < Height; v++)
            for (int u = 0; u < Width; u++)
            {
                int i = v * Width + u;
                var ray = K.BackProject(u, v, 1);
                double z = d0 / Vec3.Dot(normal, ray);
                int who = -1;
                for (int k = 0; k < objects.Length; k++)
                    if (objects[k].Target.Triangle[i] >= 0
                        && objects[k].Target.Depth[i] < z) { z = objects[k].Target.Depth[i]; who = k; }
                owner[i] = who;
                float r, g, b;
                if (who >= 0)
                {
                    var c = objects[who].Rgb;
                    r = c[i]; g = c[n + i]; b = c[2 * n + i];
                }
                else
                {
                    var p = ray * z;
                    float grain = 0.85f + 0.15f * MathF.Sin((float)(p.X * 90 + 3 * Math.Sin(p.Z * 40)));
                    float plank = ((int)Math.Floor(p.X * 10) & 1) == 0 ? 1f : 0.85f;
                    r = 0.55f * grain * plank; g = 0.38f * grain * plank; b = 0.22f * grain * plank;
                }
                ulong ui = (ulong)i * 4;
                double noise = 0.001 * (Hashing.Uniform(depthKey, ui + 1) + Hashing.Uniform(depthKey,
                    ui + 2) + Hashing.Uniform(depthKey, ui + 3));
                bool dropout = Hashing.Uniform(depthKey, ui + 4) > 0.99f;
                depth[i] = dropout ? 0 : (float)(Math.Round((z + noise) * 10000) / 10000);
                float rn = 2f / 255 * Hashing.Uniform(rgbKey, (ulong)i + 1);
                rgb[3 * i] = (byte)Math.Clamp(MathF.Round((r + rn) * 255), 0, 255);
                rgb[3 * i + 1] = (byte)Math.Clamp(MathF.Round((g + rn) * 255), 0, 255);
                rgb[3 * i + 2] = (byte)Math.Clamp(MathF.Round((b + rn) * 255), 0, 255);
            }
        var gts = new List<BopGroundTruth>();
        var masks = new List<(bool[], bool[])>();
        for (int k = 0; k < objects.Length; k++)
        {
            var full = new bool[n];
            var vis = new bool[n];
            int all = 0, visible = 0, valid = 0;
            for (int i = 0; i < n; i++)
            {
                full[i] = objects[k].Target.Triangle[i] >= 0;
                vis[i] = owner[i] == k;
                if (full[i]) { all++; if (depth[i] > 0) valid++; }
                if (vis[i]) visible++;
            }
            masks.Add((full, vis));
            var info = new BopGtInfo(Box(full), Box(vis), all, valid, visible, all > 0 ? (double)visible / all : 0);
            var p = objects[k].Pose;
            gts.Add(new BopGroundTruth(k, objects[k].ObjId, new Pose(p.R, p.T * 1000), info));
        }
        return (new BopImageAnnotations(sceneId, imId, new BopCamera(K, DepthScale), gts), rgb, depth, masks);
    }

    /// <summary>x, y, width, height of the set pixels; -1, -1, 0, 0 when none (BOP's convention).</summary>
    private static int[] Box(bool[] m)
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
        for (int i = 0; i < m.Length; i++)
        {
            if (!m[i]) continue;
            int x = i % Width, y = i / Width;
            x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x); y1 = Math.Max(y1, y);
        }
        return x1 < 0 ? new[] { -1, -1, 0, 0 } : new[] { x0, y0, x1 - x0 + 1, y1 - y0 + 1 };
    }
}
