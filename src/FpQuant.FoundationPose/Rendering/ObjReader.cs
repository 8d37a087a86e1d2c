using System.Globalization;
using System.Text;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Rendering;

/// <summary>Wavefront OBJ: v (optionally with r g b), vt, vn, f with polygons fan-triangulated, negative indices,
/// and the first material's Kd and map_Kd from its mtllib.</summary>
internal static class ObjReader
{
    private static readonly char[] Space = { ' ', '\t' };
    private static readonly float[] NoColour = [0f, 0f, 0f];

    public static TriMesh Read(string path)
    {
        var pos = new List<float>(); var cols = new List<float>(); var nrm = new List<float>(); var uv =
            new List<float>();
        var tri = new List<int>(); var tn = new List<int>(); var tuv = new List<int>();
        bool anyColour = false, allColour = true, cornersHaveNormals = true, cornersHaveUvs = true;
        string? mtllib = null, usemtl = null;
        int lineNo = 0;
        var idx = new (int V, int T, int N)[64];
        foreach (var rawLine in ReadLines(path))
        {
            lineNo++;
            var line = rawLine.AsSpan().Trim();
            if (line.IsEmpty || line[0] == '#') continue;
            var tok = line.ToString().Split(Space, StringSplitOptions.RemoveEmptyEntries);
            string Where() => $"mesh '{path}' line {lineNo}";
            switch (tok[0])
            {
                case "v":
                    if (tok.Length != 4 && tok.Length != 7)
                        throw new FpQuantException($"{Where()}: a vertex needs x y z (and optionally r g b), found " +
                            $"{tok.Length - 1} numbers");
                    for (int i = 1; i < 4; i++) pos.Add(Num(tok[i], Where));
                    if (tok.Length == 7) { anyColour = true; for (int i = 4; i < 7; i++) cols.Add(Num(tok[i], Where)); }
                    else { allColour = false; cols.AddRange(NoColour); }
                    break;
                case "vt":
                    if (tok.Length < 3) throw new FpQuantException($"{Where()}: a texture coordinate needs u v");
                    uv.Add(Num(tok[1], Where)); uv.Add(Num(tok[2], Where));
                    break;
                case "vn":
                    if (tok.Length != 4) throw new FpQuantException($"{Where()}: a normal needs x y z");
                    float nx = Num(tok[1], Where), ny = Num(tok[2], Where), nz = Num(tok[3], Where);
                    float len = MathF.Sqrt(nx * nx + ny * ny + nz * nz);
                    // files store unnormalised normals (the mustard's do)
                    if (len > 0) { nx /= len; ny /= len; nz /= len; }
                    nrm.Add(nx); nrm.Add(ny); nrm.Add(nz);
                    break;
                case "f":
                    int k = tok.Length - 1;
                    if (k < 3) throw new FpQuantException($"{Where()}: a face needs at least 3 vertices, found {k}");
                    if (k > idx.Length) idx = new (int, int, int)[k];
                    for (int i = 0; i < k; i++)
                        idx[i] = Corner(tok[i + 1], pos.Count / 3, uv.Count / 2, nrm.Count / 3, Where);
                    for (int i = 1; i + 1 < k; i++)
                        foreach (var c in new[] { idx[0], idx[i], idx[i + 1] })
                        {
                            tri.Add(c.V); tuv.Add(c.T); tn.Add(c.N);
                            cornersHaveUvs &= c.T >= 0;
                            cornersHaveNormals &= c.N >= 0;
                        }
                    break;
                case "mtllib": mtllib ??= line[6..].Trim().ToString(); break;
                case "usemtl": usemtl ??= tok.Length > 1 ? tok[1] : null; break;
            }
        }
        if (pos.Count == 0)
            throw new FpQuantException($"mesh '{path}' has no vertices ('v x y z' lines); is it an OBJ file?");
        var warnings = new List<string>();
        var (kd, texture) = Material(path, mtllib, usemtl, warnings);
        bool useUv = cornersHaveUvs && uv.Count > 0 && tri.Count > 0;
        var mesh = new TriMesh(pos.ToArray(), tri.ToArray(),
            cornersHaveNormals && nrm.Count > 0 ? nrm.ToArray() : null,
            cornersHaveNormals && nrm.Count > 0 ? tn.ToArray() : null,
            useUv ? uv.ToArray() : null, useUv ? tuv.ToArray() : null,
            anyColour && allColour && kd == null && texture == null ? cols.ToArray() : null,
            useUv ? texture : null, kd ?? (anyColour ? null : (0.5f, 0.5f, 0.5f))) { Source = path };
        if (texture != null && !useUv)
            warnings.Add($"mesh '{path}' has a texture but its faces carry no texture coordinates; rendering with " +
                $"the material colour");
        mesh.Warnings.AddRange(warnings);
        return mesh;
    }

    /// <summary>The file's lines; a read error while enumerating (not only on open) names the file.</summary>
    private static IEnumerable<string> ReadLines(string path, string what = "mesh")
    {
        IEnumerator<string> lines;
        try { lines = File.ReadLines(path, Encoding.UTF8).GetEnumerator(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"cannot read {what} '{path}': {e.Message}", e);
        }
        using (lines)
            while (true)
            {
                try
                {
                    if (!lines.MoveNext()) yield break;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new FpQuantException($"cannot read {what} '{path}': {e.Message}", e);
                }
                yield return lines.Current;
            }
    }

    private static float Num(string s, Func<string> where) =>
        float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v) ? v
            : throw new FpQuantException($"{where()}: '{s}' is not a number");

    private static (int V, int T, int N) Corner(string s, int nv, int nt, int nn, Func<string> where)
    {
        var parts = s.Split('/');
        int Resolve(int i, int count, string what)
        {
            if (i >= parts.Length || parts[i].Length == 0) return -1;
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) || r == 0)
                throw new FpQuantException($"{where()}: '{s}' is not a face corner (v, v/vt, v//vn or v/vt/vn with " +
                    $"1-based indices)");
            int z = r > 0 ? r - 1 : count + r;
            if (z < 0 || z >= count)
                throw new FpQuantException($"{where()}: face corner '{s}' refers to {what} {r}, but only {count} are " +
                    $"defined before it");
            return z;
        }
        int v = Resolve(0, nv, "vertex");
        if (v < 0) throw new FpQuantException($"{where()}: face corner '{s}' has no vertex index");
        return (v, Resolve(1, nt, "texture coordinate"), Resolve(2, nn, "normal"));
    }

    /// <summary>The material's Kd and its map_Kd texture. A missing or unreadable texture is a warning, not an error:
    /// the mesh still renders with Kd (the shared mustard ships without its texture_map.png).</summary>
    private static ((float, float, float)? Kd, RgbTexture? Texture) Material(string objPath, string? mtllib,
        string? usemtl, List<string> warnings)
    {
        if (mtllib == null) return (null, null);
        string dir = Path.GetDirectoryName(Path.GetFullPath(objPath))!;
        string mtlPath = Path.Combine(dir, mtllib);
        if (!File.Exists(mtlPath))
        {
            warnings.Add(
                $"material file '{mtllib}' named by '{objPath}' is missing; rendering with vertex colours or grey");
            return (null, null);
        }
        (float, float, float)? kd = null;
        string? map = null, current = null;
        bool chosen = false;
        foreach (var raw in ReadLines(mtlPath, "material file"))
        {
            var tok = raw.Trim().Split(Space, StringSplitOptions.RemoveEmptyEntries);
            if (tok.Length == 0 || tok[0].StartsWith('#')) continue;
            if (tok[0] == "newmtl")
            {
                if (chosen) break;
                current = tok.Length > 1 ? tok[1] : "";
                continue;
            }
            if (usemtl != null && current != usemtl) continue;
            chosen = true;
            if (tok[0] == "Kd" && tok.Length >= 4)
            {
                Func<string> where = () => $"material '{mtlPath}'";
                kd = (Num(tok[1], where), Num(tok[2], where), Num(tok[3], where));
            }
            else if (tok[0] == "map_Kd" && tok.Length >= 2) map = tok[^1];
        }
        if (map == null) return (kd, null);
        string texPath = Path.Combine(Path.GetDirectoryName(mtlPath)!, map);
        var kdText = kd is { } c
            ? string.Create(CultureInfo.InvariantCulture, $"({c.Item1:0.###}, {c.Item2:0.###}, {c.Item3:0.###})")
            : "(grey)";
        if (!File.Exists(texPath))
        {
            warnings.Add(
                $"texture '{map}' named by '{mtlPath}' is missing; rendering with the material's Kd colour {kdText}");
            return (kd, null);
        }
        if (!texPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            warnings.Add($"texture '{map}' is not a PNG (fpquant reads PNG textures only); rendering with the " +
                $"material's Kd colour {kdText}");
            return (kd, null);
        }
        try
        {
            var img = Png.Read(texPath);
            var rgb8 = FrameLoader.ToRgb8(img);
            var f = new float[rgb8.Length];
            for (int i = 0; i < f.Length; i++) f[i] = rgb8[i] / 255f;
            return (kd, new RgbTexture(img.Width, img.Height, f));
        }
        catch (FpQuantException e)
        {
            warnings.Add(
                $"texture '{map}' could not be read ({e.Message}); rendering with the material's Kd colour {kdText}");
            return (kd, null);
        }
    }
}
