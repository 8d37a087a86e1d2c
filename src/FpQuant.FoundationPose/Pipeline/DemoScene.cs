using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Rendering;

namespace FpQuant.Pipeline;

/// <summary>
/// The built-in scene: a procedurally textured bottle (about the mustard's size and triangle count) rendered by the
/// project's rasterizer into a 640 x 480 RGB-D frame at a known pose, over a textured tilted table plane, with its
/// mask, millimetre-quantised depth with mild noise and dropouts, and a little RGB noise. Fully deterministic.
/// </summary>
internal static class DemoScene
{
    public const int Width = 640, Height = 480;
    public static readonly CameraIntrinsics K = new(600, 600, 319.5, 239.5);
    // (u, v) of the plain texel each cap samples: the bottom cap's corner, then the top cap's.
    private static readonly float[] CapTexels = [0.02f, 0.02f, 0.98f, 0.98f];
    private static readonly float[] NoNormal = [0f, 0f, 0f];

    /// <summary>
    /// The bottle's pose in the camera: upright on the table, tilted towards the camera, turned 35 degrees.
    /// </summary>
    public static Pose TruePose =>
        new(RotX(110 * Math.PI / 180) * Mat3.RotZ(35 * Math.PI / 180), new Vec3(0.02, 0.01, 0.6));

    public static Scene Create(ulong seed = 0)
    {
        var (mesh, frame) = Build(seed);
        return Scene.Create(frame, mesh, "the built-in demo scene", TruePose);
    }

    private static (TriMesh Mesh, RgbdFrame Frame) Build(ulong seed)
    {
        var mesh = Bottle();
        return (mesh, Render(mesh, TruePose, seed));
    }

    /// <summary>Writes the scene as a folder that <see cref="Scene.LoadFolder"/> and `fpquant register` read.</summary>
    public static void Save(string dir, ulong seed = 0)
    {
        var (mesh, frame) = Build(seed);
        FrameLoader.Save(frame, dir);
        ObjWriter.Write(mesh, Path.Combine(dir, Scene.MeshFile));
        PoseFile.Write(Path.Combine(dir, PoseFile.TruePoseFile), TruePose);
    }

    private static Mat3 RotX(double a)
    {
        double c = Math.Cos(a), s = Math.Sin(a);
        return new Mat3(1, 0, 0, 0, c, -s, 0, s, c);
    }

    /// <summary>A body of revolution about z (0.16 m tall, 0.068 m wide) with a texture that is not rotationally
    /// symmetric (a label on one side, a stripe on the other), 80 rings x 96 segments plus flat caps.</summary>
    public static TriMesh Bottle(int rings = 80, int segments = 96)
    {
        const double h = 0.16;
        static double Radius(double s) =>
            s < 0.03 ? 0.030 + 0.004 * s / 0.03
            : s < 0.62 ? 0.034
            : s < 0.80 ? 0.014 + 0.020 * (0.5 + 0.5 * Math.Cos(Math.PI * (s - 0.62) / 0.18))
            : s < 0.95 ? 0.014 : 0.016;
        var pos = new List<float>(); var uv = new List<float>(); var tri = new List<int>(); var tuv = new List<int>();
        for (int k = 0; k <= rings; k++)
        {
            double s = (double)k / rings, r = Radius(s), z = -h / 2 + s * h;
            for (int m = 0; m < segments; m++)
            {
                double phi = 2 * Math.PI * m / segments;
                pos.AddRange(new[] { (float)(r * Math.Cos(phi)), (float)(r * Math.Sin(phi)), (float)z });
            }
            for (int m = 0; m <= segments; m++) uv.AddRange(new[] { (float)m / segments, (float)s });
        }
        int V(int k, int m) => k * segments + m % segments;
        int T(int k, int m) => k * (segments + 1) + m;
        for (int k = 0; k < rings; k++)
            for (int m = 0; m < segments; m++)
            {
                // Outward-facing (counter-clockwise seen from outside).
                tri.AddRange(new[] { V(k, m), V(k, m + 1), V(k + 1, m + 1) }); tuv.AddRange(new[] { T(k, m),
                    T(k, m + 1), T(k + 1, m + 1) });
                tri.AddRange(new[] { V(k, m), V(k + 1, m + 1), V(k + 1, m) }); tuv.AddRange(new[] { T(k, m),
                    T(k + 1, m + 1), T(k + 1, m) });
            }
        // Caps share the rim vertices (the surface stays closed, so back faces can be culled) but have their own
        // flat normals; they sample a plain patch of the texture.
        var sideTriangles = tri.ToArray();
        var normals = TriMesh.VertexNormals(pos.ToArray(), sideTriangles).ToList();
        var nIdx = new List<int>(sideTriangles);
        int capUv = uv.Count / 2;
        uv.AddRange(CapTexels);
        foreach (var (ring, top) in new[] { (0, false), (rings, true) })
        {
            double z = -h / 2 + (double)ring / rings * h;
            int centre = pos.Count / 3;
            pos.AddRange(new[] { 0f, 0f, (float)z });
            normals.AddRange(NoNormal); // the centre's slot in the per-vertex normals (unused)
            int capNormal = normals.Count / 3;
            normals.AddRange(new[] { 0f, 0f, top ? 1f : -1f });
            int uvi = capUv + (top ? 1 : 0);
            for (int m = 0; m < segments; m++)
            {
                int a = V(ring, m), b = V(ring, m + 1);
                if (top) tri.AddRange(new[] { centre, a, b }); else tri.AddRange(new[] { centre, b, a });
                tuv.AddRange(new[] { uvi, uvi, uvi });
                nIdx.AddRange(new[] { capNormal, capNormal, capNormal });
            }
        }
        return new TriMesh(pos.ToArray(), tri.ToArray(), normals.ToArray(), nIdx.ToArray(), uv.ToArray(), tuv.ToArray(),
            null, Texture(), (0.9f, 0.75f, 0.1f)) { Source = "demo bottle" };
    }

    /// <summary>256 x 256: yellow body, a white label with a red band and dark blocks on one side only, a green
    /// stripe opposite, a red cap; the cap texels (corners) plain yellow and red.</summary>
    public static RgbTexture Texture()
    {
        const int size = 256;
        var rgb = new float[3 * size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float u = (x + 0.5f) / size, v = 1f - (y + 0.5f) / size; // OBJ v grows upwards
                (float r, float g, float b) c = (0.93f, 0.78f, 0.12f);
                if (v > 0.84f) c = (0.75f, 0.1f, 0.08f);
                else if (v > 0.25f && v < 0.55f && u > 0.05f && u < 0.45f)
                {
                    c = (0.95f, 0.94f, 0.88f);
                    if (v > 0.33f && v < 0.38f) c = (0.8f, 0.12f, 0.1f);
                    else if (v > 0.41f && v < 0.51f && (((int)(u * 40) + (int)(v * 30)) % 3 == 0))
                        c = (0.1f, 0.12f, 0.35f);
                }
                else if (u > 0.68f && u < 0.74f) c = (0.1f, 0.45f, 0.15f);
                int i = 3 * (y * size + x);
                rgb[i] = c.r; rgb[i + 1] = c.g; rgb[i + 2] = c.b;
            }
        return new RgbTexture(size, size, rgb);
    }

    /// <summary>Renders the object over a tilted, wood-textured table plane, then adds sensor-like noise.</summary>
    public static RgbdFrame Render(TriMesh mesh, Pose pose, ulong seed) =>
        Render(mesh, new DemoSceneLook { ObjectPose = pose, NoiseSeed = seed });

    public static RgbdFrame Render(TriMesh mesh, DemoSceneLook look)
    {
        var b = new DemoFrameBuffers();
        Render(mesh, look, b, 0, 0, Width, Height);
        return b.Frame;
    }

    /// <summary>Renders the frame's pixels [x0, x1) x [y0, y1) into <paramref name="b"/>'s frame, leaving the rest as
    /// it was. The object is rasterized over the whole frame, so every pixel is what a whole-frame render
    /// gives.</summary>
    public static void Render(TriMesh mesh, DemoSceneLook look, DemoFrameBuffers b, int x0, int y0, int x1, int y1)
    {
        int n = Width * Height;
        var target = b.Target;
        var rgbPlanes = b.RgbPlanes;
        Rasterizer.Rasterize(mesh, look.ObjectPose, K, target);
        MeshShader.Shade(mesh, look.ObjectPose, K, target, rgbPlanes, b.XyzPlanes, y0, y1);
        var f = b.Frame;
        byte[] rgb = f.Rgb;
        float[] depth = f.Depth;
        bool[] mask = f.Mask;
        var normal = look.TableNormal.Normalized;
        double d0 = Vec3.Dot(normal, look.TablePoint);
        var (wr, wg, wb) = look.Wood;
        var (lr, lg, lb) = look.Light;
        ulong depthKey = Hashing.Fnv1a64("demo-depth-noise") ^ look.NoiseSeed,
            rgbKey = Hashing.Fnv1a64("demo-rgb-noise") ^ look.NoiseSeed;
        for (int v = y0; v < y1; v++)
            for (int u = x0; u < x1; u++)
            {
                int i = v * Width + u;
                var ray = K.BackProject(u, v, 1);
                double zPlane = d0 / Vec3.Dot(normal, ray);
                var p = ray * zPlane;
                bool obj = target.Triangle[i] >= 0 && target.Depth[i] < zPlane;
                double z;
                float r, g, bl;
                mask[i] = obj;
                if (obj)
                {
                    z = target.Depth[i];
                    r = rgbPlanes[i]; g = rgbPlanes[n + i]; bl = rgbPlanes[2 * n + i];
                }
                else
                {
                    z = zPlane;
                    // Wood-like grain along the table's x direction, darker planks.
                    float grain =
                        0.85f + 0.15f * MathF.Sin(
                            (float)(p.X * look.GrainFrequency + look.GrainWobble * Math.Sin(
                                p.Z * look.GrainWobbleFrequency)));
                    float plank = ((int)Math.Floor(p.X * look.PlanksPerMetre) & 1) == 0 ? 1f : look.PlankShade;
                    r = wr * grain * plank; g = wg * grain * plank; bl = wb * grain * plank;
                }
                r *= lr; g *= lg; bl *= lb;
                ulong ui = (ulong)i * 4;
                double noise = look.DepthNoise * (Hashing.Uniform(depthKey, ui + 1) + Hashing.Uniform(depthKey,
                    ui + 2) + Hashing.Uniform(depthKey, ui + 3));
                bool dropout = Hashing.Uniform(depthKey, ui + 4) > look.DropoutThreshold;
                depth[i] = dropout ? 0 : (float)(Math.Round((z + noise) * 1000) / 1000);
                float rn = look.RgbNoise * Hashing.Uniform(rgbKey, (ulong)i + 1);
                rgb[3 * i] = (byte)Math.Clamp(MathF.Round((r + rn) * 255), 0, 255);
                rgb[3 * i + 1] = (byte)Math.Clamp(MathF.Round((g + rn) * 255), 0, 255);
                rgb[3 * i + 2] = (byte)Math.Clamp(MathF.Round((bl + rn) * 255), 0, 255);
            }
    }
}
