using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using FpQuant.Core;
using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Rendering;

/// <summary>PLY (ascii, binary little- and big-endian): vertex x y z with optional nx ny nz, red green blue (uchar or
/// float) and texture coordinates (texture_u texture_v, s t or u v); faces as a vertex_indices list (polygons
/// fan-triangulated), optionally with a per-corner texcoord list (u v per corner, as MeshLab writes it); the texture
/// named in a header comment (<c>comment TextureFile obj_000001.png</c>, PNG or JPEG beside the model, as BOP ships
/// YCB-Video's models); other elements skipped. A named texture that is missing or unreadable, and a texcoord list
/// that does not match its face, are errors naming the file.</summary>
internal static class PlyReader
{
    private sealed record Property(string Name, string Type, string? ListCountType);
    private sealed record Element(string Name, int Count, List<Property> Props);

    public static TriMesh Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException
            or UnauthorizedAccessException) { throw new FpQuantException($"cannot read mesh '{path}': {e.Message}",
                e); }
        int headerEnd = IndexOf(bytes, "end_header");
        if (bytes.Length < 3 || Encoding.ASCII.GetString(bytes, 0, 3) != "ply" || headerEnd < 0)
            throw new FpQuantException($"mesh '{path}' is not a PLY file (no 'ply' magic or no end_header)");
        int dataStart = headerEnd + "end_header".Length;
        while (dataStart < bytes.Length && bytes[dataStart] != '\n') dataStart++;
        dataStart++;
        string format = "";
        string? textureName = null;
        var elements = new List<Element>();
        foreach (var raw in Encoding.ASCII.GetString(bytes, 0, headerEnd).Split('\n'))
        {
            var t = raw.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (t.Length == 0) continue;
            if (t[0] == "format") format = t.Length > 1 ? t[1] : "";
            else if (t[0] == "comment" && t.Length >= 3 && t[1] == "TextureFile")
                textureName ??= raw.Trim()["comment".Length..].Trim()["TextureFile".Length..].Trim();
            else if (t[0] == "element" && t.Length == 3 && int.TryParse(t[2], out int n) && n >= 0)
                elements.Add(new Element(t[1], n, new()));
            else if (t[0] == "element")
                throw new FpQuantException($"mesh '{path}': malformed header line '{raw.Trim()}'");
            else if (t[0] == "property" && elements.Count > 0)
            {
                Property prop = t.Length == 5 && t[1] == "list" ? new Property(t[4], t[3], t[2])
                    : t.Length == 3 ? new Property(t[2], t[1], null)
                    : throw new FpQuantException($"mesh '{path}': malformed header line '{raw.Trim()}'");
                foreach (var type in new[] { prop.Type, prop.ListCountType })
                    if (type != null && ValueReader.SizeOf(type) == 0)
                        throw new FpQuantException($"mesh '{path}': unknown PLY property type '{type}' in header " +
                            $"line '{raw.Trim()}'");
                elements[^1].Props.Add(prop);
            }
        }
        if (format is not ("ascii" or "binary_little_endian" or "binary_big_endian"))
            throw new FpQuantException($"mesh '{path}': unsupported PLY format '{format}'");
        if (elements.Count(e => e.Name == "vertex") > 1)
            throw new FpQuantException($"mesh '{path}' has more than one vertex element");
        var reader = new ValueReader(bytes, dataStart, format, path);
        float[]? pos = null, nrm = null, col = null, uv = null;
        var tri = new List<int>();
        // Per-corner texture coordinates from faces' texcoord lists: one (u, v) per triangle corner.
        List<float>? cornerUv = null;
        foreach (var el in elements)
        {
            var names = el.Props.Select(p => p.Name).ToList();
            bool isVertex = el.Name == "vertex", isFace = el.Name == "face";
            // Every count is checked against the bytes left before anything is allocated or looped over for it.
            if (el.Count > 0 && el.Props.Count == 0)
                throw new FpQuantException(
                    $"mesh '{path}': element '{el.Name}' has {el.Count} records but no properties");
            long minBytes = reader.MinRecordBytes(el.Props.Select(p => p.ListCountType ?? p.Type));
            if ((long)el.Count * minBytes > reader.Remaining + 1)
                throw new FpQuantException($"mesh '{path}': element '{el.Name}' claims {el.Count} records, but only " +
                    $"{reader.Remaining} bytes of data remain (the file is truncated or its header is wrong)");
            if (isVertex)
            {
                foreach (var need in new[] { "x", "y", "z" })
                    if (!names.Contains(need))
                        throw new FpQuantException($"mesh '{path}': the vertex element has no '{need}' property");
                pos = new float[3 * el.Count];
                if (names.Contains("nx")) nrm = new float[3 * el.Count];
                if (names.Contains("red")) col = new float[3 * el.Count];
                if (names.Contains("s") || names.Contains("u") || names.Contains("texture_u"))
                    uv = new float[2 * el.Count];
            }
            bool faceTexcoords = isFace && el.Props.Any(p => p.ListCountType != null && p.Name == "texcoord");
            if (faceTexcoords) cornerUv ??= new List<float>();
            for (int i = 0; i < el.Count; i++)
            {
                reader.StartRecord();
                int[]? corners = null;
                double[]? texcoord = null;
                foreach (var p in el.Props)
                {
                    if (p.ListCountType != null)
                    {
                        int k = reader.ListCount(p.ListCountType, p.Type);
                        var list = new double[k];
                        for (int j = 0; j < k; j++) list[j] = reader.Next(p.Type);
                        if (isFace && p.Name is "vertex_indices" or "vertex_index")
                        {
                            if (k < 3)
                                throw new FpQuantException(
                                    $"mesh '{path}': face {i} has {k} vertices; faces need at least 3");
                            corners =
                                list.Select(x => x is >= int.MinValue and <= int.MaxValue ? (int)x : -1).ToArray();
                        }
                        else if (isFace && p.Name == "texcoord") texcoord = list;
                        continue;
                    }
                    double v = reader.Next(p.Type);
                    if (!isVertex) continue;
                    if (!double.IsFinite(v) || Math.Abs(v) > float.MaxValue)
                        throw new FpQuantException($"mesh '{path}': vertex {i} has {p.Name} = {v}; vertex values " +
                            $"must be finite float32 numbers");
                    double colour = p.Type is "uchar" or "uint8" ? v / 255.0 : v;
                    switch (p.Name)
                    {
                        case "x": pos![3 * i] = (float)v; break;
                        case "y": pos![3 * i + 1] = (float)v; break;
                        case "z": pos![3 * i + 2] = (float)v; break;
                        case "nx": nrm![3 * i] = (float)v; break;
                        case "ny": if (nrm != null) nrm[3 * i + 1] = (float)v; break;
                        case "nz": if (nrm != null) nrm[3 * i + 2] = (float)v; break;
                        case "red": col![3 * i] = (float)colour; break;
                        case "green": if (col != null) col[3 * i + 1] = (float)colour; break;
                        case "blue": if (col != null) col[3 * i + 2] = (float)colour; break;
                        case "s" or "u" or "texture_u": uv![2 * i] = (float)v; break;
                        case "t" or "v" or "texture_v": if (uv != null) uv[2 * i + 1] = (float)v; break;
                    }
                }
                if (corners == null) continue;
                for (int j =
                    1; j + 1 < corners.Length; j++) { tri.Add(corners[0]); tri.Add(corners[j]); tri.Add(
                        corners[j + 1]); }
                if (!faceTexcoords) continue;
                if (texcoord == null || texcoord.Length != 2 * corners.Length)
                    throw new FpQuantException($"mesh '{path}': face {i} has {corners.Length} vertices but a " +
                        $"texcoord list of {texcoord?.Length ?? 0} values; it needs u v for each vertex " +
                        $"({2 * corners.Length} values)");
                foreach (double c in texcoord)
                    if (!double.IsFinite(c) || Math.Abs(c) > float.MaxValue)
                        throw new FpQuantException($"mesh '{path}': face {i} has texture coordinate {c}; texture " +
                            $"coordinates must be finite float32 numbers");
                for (int j = 1; j + 1 < corners.Length; j++)
                    foreach (int c in new[] { 0, j,
                        j + 1 }) { cornerUv!.Add((float)texcoord[2 * c]); cornerUv.Add((float)texcoord[2 * c + 1]); }
            }
        }
        if (pos == null) throw new FpQuantException($"mesh '{path}' has no vertex element");
        int nv = pos.Length / 3;
        foreach (int i in tri)
            if ((uint)i >= (uint)nv)
                throw new FpQuantException($"mesh '{path}': a face refers to vertex {i}, but there are {nv}");
        var triangles = tri.ToArray();
        if (nrm != null)
            for (int i = 0; i < nrm.Length; i += 3)
            {
                float len = MathF.Sqrt(nrm[i] * nrm[i] + nrm[i + 1] * nrm[i + 1] + nrm[i + 2] * nrm[i + 2]);
                if (len > 0) { nrm[i] /= len; nrm[i + 1] /= len; nrm[i + 2] /= len; }
            }
        // Texture coordinates: per corner when the faces carry them, else per vertex.
        float[]? uvs = cornerUv != null ? cornerUv.ToArray() : uv;
        int[]? uvIndex = cornerUv != null ? Enumerable.Range(0, triangles.Length).ToArray() : uv != null ? triangles
            : null;
        var warnings = new List<string>();
        RgbTexture? texture = null;
        if (textureName != null)
        {
            if (uvs == null)
                warnings.Add($"mesh '{path}' names texture '{textureName}' but has no texture coordinates; rendering " +
                    $"with {(col != null ? "its vertex colours" : "grey")}");
            else texture = ReadTexture(path, textureName);
        }
        var mesh = new TriMesh(pos, triangles, nrm, nrm != null ? triangles : null, texture != null ? uvs : null,
            texture != null ? uvIndex : null, col, texture) { Source = path };
        mesh.Warnings.AddRange(warnings);
        return mesh;
    }

    /// <summary>Textures larger than 4096 x 4096 are refused before decoding (YCB-Video's are 2048 x 2048); the
    /// texture is held as float RGB, 12 bytes a texel.</summary>
    public const long MaxTexturePixels = 1L << 24;

    /// <summary>The texture a PLY's header names, read from beside the model (PNG or JPEG).</summary>
    public static RgbTexture ReadTexture(string meshPath, string name)
    {
        if (name.Length == 0 || name.Any(char.IsControl) || Path.IsPathRooted(name)
            || name.Split('/', '\\').Contains(".."))
            throw new FpQuantException($"mesh '{meshPath}' names texture '{ErrorText.Quote(name)}' in its header; " +
                $"give a file name beside the model (PNG or JPEG)");
        string texPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(meshPath))!, name);
        if (!File.Exists(texPath))
            throw new FpQuantException($"mesh '{meshPath}' names texture '{ErrorText.Quote(name)}' in its header, " +
                $"but '{texPath}' does not exist; put the texture beside the model");
        var (px, w, h) = ImageFile.DecodeRgba(texPath, $"texture of mesh '{meshPath}'", MaxTexturePixels);
        var rgb = new float[3L * w * h];
        for (long i = 0, n = (long)w * h; i < n; i++)
        {
            rgb[3 * i] = px[4 * i] / 255f; rgb[3 * i + 1] = px[4 * i + 1] / 255f; rgb[3 * i + 2] = px[4 * i + 2] / 255f;
        }
        return new RgbTexture(w, h, rgb);
    }

    private static int IndexOf(byte[] b, string s)
    {
        var pat = Encoding.ASCII.GetBytes(s);
        int limit = Math.Min(b.Length, 1 << 16);
        return b.AsSpan(0, limit).IndexOf(pat);
    }

    /// <summary>Reads typed values from the data section, as text tokens or binary numbers.</summary>
    private sealed class ValueReader
    {
        private readonly byte[] _b;
        private int _pos;
        private readonly bool _ascii, _big;
        private readonly string _path;
        private string[] _tokens = Array.Empty<string>();
        private int _tok;
        private int _record;

        public ValueReader(byte[] b, int start, string format, string path)
        {
            _b = b; _pos = start; _ascii = format == "ascii"; _big = format == "binary_big_endian"; _path = path;
        }

        public void StartRecord()
        {
            _record++;
            if (!_ascii) return;
            while (true)
            {
                if (_pos >= _b.Length) throw Truncated();
                int end = Array.IndexOf(_b, (byte)'\n', _pos);
                if (end < 0) end = _b.Length;
                string line = Encoding.ASCII.GetString(_b, _pos, end - _pos).Trim();
                _pos = end + 1;
                if (line.Length == 0) continue;
                _tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                _tok = 0;
                return;
            }
        }

        public long Remaining => Math.Max(0, _b.Length - _pos);

        /// <summary>The fewest bytes one record of these property types can take: binary sizes (a list at least its
        /// count), or in ASCII one character and a separator per value.</summary>
        public long MinRecordBytes(IEnumerable<string> types) => _ascii ? 2L * types.Count()
            : types.Sum(t => (long)SizeOf(t));

        public static int SizeOf(string type) => type switch
        {
            "char" or "int8" or "uchar" or "uint8" => 1,
            "short" or "int16" or "ushort" or "uint16" => 2,
            "int" or "int32" or "uint" or "uint32" or "float" or "float32" => 4,
            "double" or "float64" => 8,
            _ => 0,
        };

        /// <summary>A list's length: a whole number no larger than the values left to hold its items.</summary>
        public int ListCount(string countType, string itemType)
        {
            double k = Next(countType);
            long left = _ascii ? _tokens.Length - _tok : Remaining / SizeOf(itemType);
            if (!(k >= 0) || k != Math.Floor(k) || k > left)
                throw new FpQuantException($"mesh '{_path}': a list in record {_record} claims {k} items, but only " +
                    $"{left} values follow (the file is truncated or damaged)");
            return (int)k;
        }

        private FpQuantException Truncated() =>
            new($"mesh '{_path}' is truncated or malformed (data ends in record {_record})");

        public double Next(string type)
        {
            if (_ascii)
            {
                if (_tok >= _tokens.Length) throw Truncated();
                string s = _tokens[_tok++];
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
                    : throw new FpQuantException($"mesh '{_path}': '{s}' in record {_record} is not a number");
            }
            int size = SizeOf(type);
            if (size == 0) throw new FpQuantException($"mesh '{_path}': unknown PLY property type '{type}'");
            if (_pos + size > _b.Length) throw Truncated();
            var s2 = _b.AsSpan(_pos, size);
            _pos += size;
            return type switch
            {
                "char" or "int8" => (sbyte)s2[0],
                "uchar" or "uint8" => s2[0],
                "short"
                    or "int16" => _big ? BinaryPrimitives.ReadInt16BigEndian(s2)
                        : BinaryPrimitives.ReadInt16LittleEndian(s2),
                "ushort"
                    or "uint16" => _big ? BinaryPrimitives.ReadUInt16BigEndian(s2)
                        : BinaryPrimitives.ReadUInt16LittleEndian(s2),
                "int"
                    or "int32" => _big ? BinaryPrimitives.ReadInt32BigEndian(s2)
                        : BinaryPrimitives.ReadInt32LittleEndian(s2),
                "uint"
                    or "uint32" => _big ? BinaryPrimitives.ReadUInt32BigEndian(s2)
                        : BinaryPrimitives.ReadUInt32LittleEndian(s2),
                "float"
                    or "float32" => _big ? BinaryPrimitives.ReadSingleBigEndian(s2)
                        : BinaryPrimitives.ReadSingleLittleEndian(s2),
                _ => _big ? BinaryPrimitives.ReadDoubleBigEndian(s2) : BinaryPrimitives.ReadDoubleLittleEndian(s2),
            };
        }
    }
}
