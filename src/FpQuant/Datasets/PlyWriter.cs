using System.Text;
using FpQuant.Core;
using FpQuant.Rendering;

namespace FpQuant.Datasets;

/// <summary>Binary little-endian PLY with per-vertex normals and colours, scaled (BOP models are in millimetres).</summary>
public static class PlyWriter
{
    public static void Write(TriMesh mesh, string path, double scale)
    {
        int nv = mesh.VertexCount, nf = mesh.TriangleCount;
        var colours = VertexColours(mesh);
        var normals = TriMesh.VertexNormals(mesh.Positions, mesh.Triangles);
        var header = new StringBuilder()
            .Append("ply\nformat binary_little_endian 1.0\ncomment written by fpquant\n")
            .Append($"element vertex {nv}\nproperty float x\nproperty float y\nproperty float z\n")
            .Append("property float nx\nproperty float ny\nproperty float nz\n")
            .Append("property uchar red\nproperty uchar green\nproperty uchar blue\n")
            .Append($"element face {nf}\nproperty list uchar int vertex_indices\nend_header\n");
        AtomicFile.Write(path, s =>
        {
            using var w = new BinaryWriter(s, Encoding.ASCII, leaveOpen: true);
            w.Write(Encoding.ASCII.GetBytes(header.ToString()));
            for (int i = 0; i < nv; i++)
            {
                for (int c = 0; c < 3; c++) w.Write((float)(mesh.Positions[3 * i + c] * scale));
                for (int c = 0; c < 3; c++) w.Write(normals[3 * i + c]);
                for (int c = 0; c < 3; c++) w.Write((byte)Math.Clamp(MathF.Round(colours[3 * i + c] * 255), 0, 255));
            }
            for (int t = 0; t < nf; t++)
            {
                w.Write((byte)3);
                for (int c = 0; c < 3; c++) w.Write(mesh.Triangles[3 * t + c]);
            }
        });
    }

    /// <summary>Per-vertex colours 0..1: the mesh's own, or its texture sampled at each vertex's first UV, or its
    /// uniform colour. PLY models carry colours per vertex, so a textured mesh is baked down.</summary>
    public static float[] VertexColours(TriMesh mesh)
    {
        if (mesh.VertexColors != null) return mesh.VertexColors;
        var c = new float[3 * mesh.VertexCount];
        var (ur, ug, ub) = mesh.UniformColor;
        for (int i = 0; i < mesh.VertexCount; i++) { c[3 * i] = ur; c[3 * i + 1] = ug; c[3 * i + 2] = ub; }
        if (mesh.ColorSource != MeshColorSource.Texture) return c;
        var seen = new bool[mesh.VertexCount];
        for (int k = 0; k < mesh.Triangles.Length; k++)
        {
            int v = mesh.Triangles[k];
            if (seen[v]) continue;
            seen[v] = true;
            int uv = 2 * mesh.UvIndex![k];
            mesh.Texture!.Sample(mesh.Uvs![uv], mesh.Uvs[uv + 1], out c[3 * v], out c[3 * v + 1], out c[3 * v + 2]);
        }
        return c;
    }
}
