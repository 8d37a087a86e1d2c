using FpQuant.Core;

namespace FpQuant.Rendering;

/// <summary>Loads a mesh by extension: .obj (with its .mtl and PNG texture) or .ply (ASCII or binary).</summary>
internal static class MeshFiles
{
    public static TriMesh Load(string path)
    {
        if (!File.Exists(path)) throw new FpQuantException($"mesh file '{path}' does not exist");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        var mesh = ext switch
        {
            ".obj" => ObjReader.Read(path),
            ".ply" => PlyReader.Read(path),
            _ => throw new FpQuantException($"mesh '{path}': unsupported format '{ext}'; give an .obj or .ply file"),
        };
        if (mesh.TriangleCount == 0)
            throw new FpQuantException($"mesh '{path}' has no faces; the renderer needs triangles");
        return mesh;
    }
}
