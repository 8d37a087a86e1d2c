using System.Globalization;
using System.Text;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Rendering;

/// <summary>Writes a mesh as OBJ (+ .mtl + PNG texture when it has one), atomically; used for the demo scene.</summary>
internal static class ObjWriter
{
    public static void Write(TriMesh m, string objPath)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        string stem = Path.GetFileNameWithoutExtension(objPath);
        bool textured = m.ColorSource == MeshColorSource.Texture;
        sb.Append("# written by fpquant\n");
        sb.Append(ci, $"mtllib {stem}.mtl\n");
        for (int i = 0; i < m.VertexCount; i++)
        {
            sb.Append(ci, $"v {m.Positions[3 * i]:R} {m.Positions[3 * i + 1]:R} {m.Positions[3 * i + 2]:R}");
            if (m.VertexColors != null)
                sb.Append(ci,
                    $" {m.VertexColors[3 * i]:R} {m.VertexColors[3 * i + 1]:R} {m.VertexColors[3 * i + 2]:R}");
            sb.Append('\n');
        }
        if (textured) for (int i = 0; i < m.Uvs!.Length; i += 2) sb.Append(ci, $"vt {m.Uvs[i]:R} {m.Uvs[i + 1]:R}\n");
        for (int i = 0; i < m.Normals.Length; i += 3)
            sb.Append(ci, $"vn {m.Normals[i]:R} {m.Normals[i + 1]:R} {m.Normals[i + 2]:R}\n");
        sb.Append("usemtl material_0\n");
        for (int t = 0; t < m.Triangles.Length; t += 3)
        {
            sb.Append('f');
            for (int k = 0; k < 3; k++)
                if (textured)
                    sb.Append(ci, $" {m.Triangles[t + k] + 1}/{m.UvIndex![t + k] + 1}/{m.NormalIndex[t + k] + 1}");
                else sb.Append(ci, $" {m.Triangles[t + k] + 1}//{m.NormalIndex[t + k] + 1}");
            sb.Append('\n');
        }
        string dir = Path.GetDirectoryName(Path.GetFullPath(objPath))!;
        var (r, g, b) = m.UniformColor;
        string mtl =
            string.Create(ci, $"newmtl material_0\nKd {r:R} {g:R} {b:R}\n") + (textured ? $"map_Kd {stem}.png\n" : "");
        if (textured)
        {
            Png.Write(Path.Combine(dir, stem + ".png"), m.Texture!.ToPngImage());
        }
        AtomicFile.WriteAllText(Path.Combine(dir, stem + ".mtl"), mtl);
        AtomicFile.WriteAllText(objPath, sb.ToString());
    }
}
