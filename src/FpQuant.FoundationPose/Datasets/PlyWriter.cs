using System.Globalization;
using System.Text;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Rendering;

namespace FpQuant.Datasets;

/// <summary>
/// Binary little-endian PLY with per-vertex normals, scaled (BOP models are in millimetres), coloured as BOP ships
/// models: a textured mesh as texture coordinates with its texture beside it (<c>STEM.png</c>, named in the header
/// comment <c>TextureFile</c>; per vertex as texture_u/texture_v when every vertex has one coordinate, else as a
/// per-face texcoord list, so seams keep the surface's topology), any other mesh with per-vertex colours.
/// </summary>
internal static class PlyWriter
{
    /// <param name="geometryOnly">Positions, normals and faces only (models_eval/: the metrics need no colour).</param>
    public static void Write(TriMesh mesh, string path, double scale, bool geometryOnly = false)
    {
        int nv = mesh.VertexCount, nf = mesh.TriangleCount;
        bool textured = !geometryOnly && mesh.ColorSource == MeshColorSource.Texture;
        bool perVertexUv = textured && mesh.UvIndex!.AsSpan().SequenceEqual(mesh.Triangles);
        float[]? vertexUv = perVertexUv ? VertexUvs(mesh) : null;
        var colours = geometryOnly || textured ? null : VertexColours(mesh);
        var normals = TriMesh.VertexNormals(mesh.Positions, mesh.Triangles);
        string textureName = Path.GetFileNameWithoutExtension(path) + ".png";
        var header = new StringBuilder().Append("ply\nformat binary_little_endian 1.0\ncomment written by fpquant\n");
        if (textured) header.Append(CultureInfo.InvariantCulture, $"comment TextureFile {textureName}\n");
        header.Append(CultureInfo.InvariantCulture,
            $"element vertex {nv}\nproperty float x\nproperty float y\nproperty float z\n")
            .Append("property float nx\nproperty float ny\nproperty float nz\n");
        if (colours != null) header.Append("property uchar red\nproperty uchar green\nproperty uchar blue\n");
        if (vertexUv != null) header.Append("property float texture_u\nproperty float texture_v\n");
        header.Append(CultureInfo.InvariantCulture, $"element face {nf}\nproperty list uchar int vertex_indices\n");
        if (textured && !perVertexUv) header.Append("property list uchar float texcoord\n");
        header.Append("end_header\n");
        if (textured)
            Png.Write(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, textureName),
                mesh.Texture!.ToPngImage());
        AtomicFile.Write(path, s =>
        {
            using var w = new BinaryWriter(s, Encoding.ASCII, leaveOpen: true);
            w.Write(Encoding.ASCII.GetBytes(header.ToString()));
            for (int i = 0; i < nv; i++)
            {
                for (int c = 0; c < 3; c++) w.Write((float)(mesh.Positions[3 * i + c] * scale));
                for (int c = 0; c < 3; c++) w.Write(normals[3 * i + c]);
                if (colours != null)
                    for (int c = 0; c < 3; c++)
                        w.Write((byte)Math.Clamp(MathF.Round(colours[3 * i + c] * 255), 0, 255));
                if (vertexUv != null) { w.Write(vertexUv[2 * i]); w.Write(vertexUv[2 * i + 1]); }
            }
            for (int t = 0; t < nf; t++)
            {
                w.Write((byte)3);
                for (int c = 0; c < 3; c++) w.Write(mesh.Triangles[3 * t + c]);
                if (!textured || perVertexUv) continue;
                w.Write((byte)6);
                for (int c = 0; c < 3; c++)
                {
                    int uv = 2 * mesh.UvIndex![3 * t + c];
                    w.Write(mesh.Uvs![uv]); w.Write(mesh.Uvs[uv + 1]);
                }
            }
        });
    }

    /// <summary>One texture coordinate per vertex (the mesh's UV index is its triangle index).</summary>
    private static float[] VertexUvs(TriMesh mesh)
    {
        var uv = new float[2 * mesh.VertexCount];
        for (int k = 0; k < mesh.Triangles.Length; k++)
        {
            int v = mesh.Triangles[k], u = mesh.UvIndex![k];
            uv[2 * v] = mesh.Uvs![2 * u]; uv[2 * v + 1] = mesh.Uvs[2 * u + 1];
        }
        return uv;
    }

    /// <summary>Per-vertex colours 0..1: the mesh's own, or its uniform colour at every vertex.</summary>
    private static float[] VertexColours(TriMesh mesh)
    {
        if (mesh.VertexColors != null) return mesh.VertexColors;
        var c = new float[3 * mesh.VertexCount];
        var (ur, ug, ub) = mesh.UniformColor;
        for (int i = 0; i < mesh.VertexCount; i++) { c[3 * i] = ur; c[3 * i + 1] = ug; c[3 * i + 2] = ub; }
        return c;
    }
}
