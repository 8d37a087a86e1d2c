using FpQuant.Geometry;

namespace FpQuant.Rendering;

/// <summary>
/// A z-buffer rasterizer on the CPU. Pixel (u, v)'s sample point is (u, v) in the OpenCV pinhole convention, so a
/// crop window is rendered directly by rendering with the window's intrinsics (no resampling). Depth and
/// attributes are interpolated perspective-correctly (linear in screen space in 1/z).
/// </summary>
internal static class Rasterizer
{
    public const float NearPlane = 1e-3f;
    private const float EdgeEpsilon = 1e-5f;

    /// <param name="cullBackFaces">Skip triangles facing away from the camera; exact (the same image) for meshes
    /// whose <see cref="TriMesh.IsClosedAndOutward"/> holds, and ignored for the others.</param>
    // Optimised from the first call: the first frame is what this project measures, and tiered JIT would run it slow.
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Rasterize(TriMesh mesh, Pose pose, CameraIntrinsics k, RenderTarget target,
        bool cullBackFaces = true)
    {
        bool cull = cullBackFaces && mesh.IsClosedAndOutward;
        int w = target.Width, h = target.Height;
        Array.Clear(target.Depth);
        Array.Fill(target.Triangle, -1);
        int nv = mesh.VertexCount;
        target.EnsureVertices(nv);
        float[] sx = target.ScreenX, sy = target.ScreenY, iz = target.InvZ, p = mesh.Positions;
        var r = pose.R;
        float r00 = (float)r.M00, r01 = (float)r.M01, r02 = (float)r.M02, r10 = (float)r.M10, r11 = (float)r.M11,
            r12 = (float)r.M12,
              r20 = (float)r.M20, r21 = (float)r.M21, r22 = (float)r.M22, tx = (float)pose.T.X, ty = (float)pose.T.Y,
              tz = (float)pose.T.Z;
        var ks = k.ToSingle();
        for (int i = 0; i < nv; i++)
        {
            float x = p[3 * i], y = p[3 * i + 1], z = p[3 * i + 2];
            float X = r00 * x + r01 * y + r02 * z + tx, Y = r10 * x + r11 * y + r12 * z + ty,
                Z = r20 * x + r21 * y + r22 * z + tz;
            if (Z < NearPlane) { iz[i] = -1; continue; }
            float inv = 1f / Z;
            iz[i] = inv;
            sx[i] = ks.ProjectX(X, inv);
            sy[i] = ks.ProjectY(Y, inv);
        }
        var tri = mesh.Triangles;
        float[] depth = target.Depth, b1 = target.B1, b2 = target.B2;
        int[] tid = target.Triangle;
        for (int t = 0, nt = tri.Length / 3; t < nt; t++)
        {
            int a = tri[3 * t], b = tri[3 * t + 1], c = tri[3 * t + 2];
            float iza = iz[a], izb = iz[b], izc = iz[c];
            if (iza < 0 || izb < 0 || izc < 0) continue; // crosses the near plane: dropped (objects sit well in front)
            float xa = sx[a], ya = sy[a], xb = sx[b], yb = sy[b], xc = sx[c], yc = sy[c];
            float minX = MathF.Min(xa, MathF.Min(xb, xc)), maxX = MathF.Max(xa, MathF.Max(xb, xc));
            float minY = MathF.Min(ya, MathF.Min(yb, yc)), maxY = MathF.Max(ya, MathF.Max(yb, yc));
            int x0 = Math.Max(0, (int)MathF.Ceiling(minX)), x1 = Math.Min(w - 1, (int)MathF.Floor(maxX));
            int y0 = Math.Max(0, (int)MathF.Ceiling(minY)), y1 = Math.Min(h - 1, (int)MathF.Floor(maxY));
            if (x0 > x1 || y0 > y1) continue;
            float area = (xb - xa) * (yc - ya) - (xc - xa) * (yb - ya);
            if (MathF.Abs(area) < 1e-12f) continue;
            // With y pointing down, an outward triangle seen from outside has negative screen-space area.
            if (cull && area > 0) continue;
            float invArea = 1f / area;
            // Edge functions as affine forms in (px, py), pre-divided by the signed area: both windings rasterize.
            // They are taken about the box's first sample (x0, y0): about the image origin, the constant term is a
            // difference of products hundreds of times the result, and float rounding of it opened cracks between
            // small triangles far from the origin.
            float oxa = xa - x0, oya = ya - y0, oxb = xb - x0, oyb = yb - y0, oxc = xc - x0, oyc = yc - y0;
            float e0x = (yb - yc) * invArea, e0y = (xc - xb) * invArea, e0c = (oxb * oyc - oxc * oyb) * invArea;
            float e1x = (yc - ya) * invArea, e1y = (xa - xc) * invArea, e1c = (oxc * oya - oxa * oyc) * invArea;
            for (int py = y0; py <= y1; py++)
            {
                int row = py * w, dy = py - y0;
                for (int px = x0; px <= x1; px++)
                {
                    int dx = px - x0;
                    float l0 = e0x * dx + e0y * dy + e0c;
                    float l1 = e1x * dx + e1y * dy + e1c;
                    float l2 = 1f - l0 - l1;
                    // A small tolerance closes cracks where float rounding puts a shared edge's pixel outside both
                    // triangles.
                    if (l0 < -EdgeEpsilon || l1 < -EdgeEpsilon || l2 < -EdgeEpsilon) continue;
                    float invz = l0 * iza + l1 * izb + l2 * izc;
                    float z = 1f / invz;
                    int o = row + px;
                    float d = depth[o];
                    if (d != 0 && z >= d) continue;
                    depth[o] = z;
                    tid[o] = t;
                    b1[o] = l1 * izb * z;
                    b2[o] = l2 * izc * z;
                }
            }
        }
    }
}
