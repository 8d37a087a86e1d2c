using FpQuant.Geometry;

namespace FpQuant.Rendering;

/// <summary>
/// Shades a visibility buffer as FoundationPose renders its hypotheses: colour * 0.8 + diffuse * colour * 0.5 with
/// the light along the camera's +z (diffuse = max(0, -n_z)), clipped to 0..1, background 0; and the camera-frame XYZ.
/// Outputs are planar (R, G, B planes; X, Y, Z planes), the layout of an NCHW crop.
/// </summary>
internal static class MeshShader
{
    public const float AmbientWeight = 0.8f, DiffuseWeight = 0.5f;

    /// <summary>Rasterizes and shades a whole width x height image (the demo frame, overlays): the visibility buffer
    /// and new planar RGB and XYZ.</summary>
    // Optimised from the first call: the first frame is what this project measures, and tiered JIT would run it slow.
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static (RenderTarget Target, float[] Rgb, float[] Xyz) RenderImage(TriMesh mesh, Pose pose,
        CameraIntrinsics k, int width, int height)
    {
        var target = new RenderTarget(width, height);
        Rasterizer.Rasterize(mesh, pose, k, target);
        var rgb = new float[3 * width * height];
        var xyz = new float[3 * width * height];
        Shade(mesh, pose, k, target, rgb, xyz);
        return (target, rgb, xyz);
    }

    /// <param name="firstRow">With <paramref name="endRow"/>: shade rows [firstRow, endRow) only and leave the rest of
    /// the planes as they were (a frame needed only around a window).</param>
    public static void Shade(TriMesh mesh, Pose pose, CameraIntrinsics k, RenderTarget target, Span<float> rgbPlanes,
        Span<float> xyzPlanes, int firstRow = 0, int endRow = int.MaxValue)
    {
        int n = target.Width * target.Height;
        if (rgbPlanes.Length < 3 * n || xyzPlanes.Length < 3 * n)
            throw new ArgumentException("output planes too small");
        int begin = Math.Clamp(firstRow, 0, target.Height) * target.Width,
            end = Math.Clamp(endRow, 0, target.Height) * target.Width;
        for (int c = 0; c < 3; c++)
        {
            rgbPlanes[(c * n + begin)..(c * n + Math.Max(begin, end))].Clear();
            xyzPlanes[(c * n + begin)..(c * n + Math.Max(begin, end))].Clear();
        }
        float r20 = (float)pose.R.M20, r21 = (float)pose.R.M21, r22 = (float)pose.R.M22;
        var ks = k.ToSingle();
        var src = mesh.ColorSource;
        var (ur, ug, ub) = mesh.UniformColor;
        float[] nrm = mesh.Normals;
        int[] ni = mesh.NormalIndex, tri = mesh.Triangles;
        int width = target.Width;
        int[] tids = target.Triangle;
        float[] depth = target.Depth, bw1 = target.B1, bw2 = target.B2;
        for (int o = begin; o < end; o++)
        {
            int t = tids[o];
            if (t < 0) continue;
            float z = depth[o], w1 = bw1[o], w2 = bw2[o], w0 = 1f - w1 - w2;
            int py = o / width, px = o - py * width;
            xyzPlanes[o] = ks.BackProjectX(px, z);
            xyzPlanes[n + o] = ks.BackProjectY(py, z);
            xyzPlanes[2 * n + o] = z;
            int na = 3 * ni[3 * t], nb = 3 * ni[3 * t + 1], nc = 3 * ni[3 * t + 2];
            float nx = w0 * nrm[na] + w1 * nrm[nb] + w2 * nrm[nc];
            float ny = w0 * nrm[na + 1] + w1 * nrm[nb + 1] + w2 * nrm[nc + 1];
            float nz = w0 * nrm[na + 2] + w1 * nrm[nb + 2] + w2 * nrm[nc + 2];
            float len = MathF.Sqrt(nx * nx + ny * ny + nz * nz);
            float diffuse = len > 0 ? Math.Clamp(-(r20 * nx + r21 * ny + r22 * nz) / len, 0f, 1f) : 0f;
            float cr, cg, cb;
            switch (src)
            {
                case MeshColorSource.Texture:
                {
                    int ta = 2 * mesh.UvIndex![3 * t], tb = 2 * mesh.UvIndex[3 * t + 1],
                        tc = 2 * mesh.UvIndex[3 * t + 2];
                    var uv = mesh.Uvs!;
                    mesh.Texture!.Sample(w0 * uv[ta] + w1 * uv[tb] + w2 * uv[tc],
                        w0 * uv[ta + 1] + w1 * uv[tb + 1] + w2 * uv[tc + 1], out cr, out cg, out cb);
                    break;
                }
                case MeshColorSource.VertexColors:
                {
                    var vc = mesh.VertexColors!;
                    int a = 3 * tri[3 * t], b = 3 * tri[3 * t + 1], c = 3 * tri[3 * t + 2];
                    cr = w0 * vc[a] + w1 * vc[b] + w2 * vc[c];
                    cg = w0 * vc[a + 1] + w1 * vc[b + 1] + w2 * vc[c + 1];
                    cb = w0 * vc[a + 2] + w1 * vc[b + 2] + w2 * vc[c + 2];
                    break;
                }
                default: cr = ur; cg = ug; cb = ub; break;
            }
            float gain = AmbientWeight + DiffuseWeight * diffuse;
            rgbPlanes[o] = Math.Clamp(cr * gain, 0f, 1f);
            rgbPlanes[n + o] = Math.Clamp(cg * gain, 0f, 1f);
            rgbPlanes[2 * n + o] = Math.Clamp(cb * gain, 0f, 1f);
        }
    }
}
