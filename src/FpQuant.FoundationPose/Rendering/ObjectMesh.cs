using FpQuant.Core;

namespace FpQuant.Rendering;

/// <summary>
/// The object's 3-D model, in metres, in the frame its poses are given in: what
/// <see cref="FpQuant.FoundationPose.FoundationPoseEstimator.Register(Imaging.RgbdFrame, ObjectMesh)"/> renders its
/// hypotheses from. Load one with <see cref="Load"/>.
/// </summary>
public sealed class ObjectMesh
{
    internal TriMesh Mesh { get; }

    internal ObjectMesh(TriMesh mesh) { Mesh = mesh; }

    /// <summary>
    /// Reads a mesh file: <c>.obj</c> (with its <c>.mtl</c> and PNG texture, or vertex colours) or <c>.ply</c>
    /// (ASCII or binary, vertex colours), in metres.
    /// </summary>
    /// <param name="path">The mesh file.</param>
    /// <exception cref="FpQuantException">The file is missing, unreadable, of another format, or has no faces.
    /// </exception>
    public static ObjectMesh Load(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new FpQuantException("mesh path is empty; give an .obj or .ply file");
        return new ObjectMesh(MeshFiles.Load(path));
    }

    /// <summary>Where the mesh came from (its file, or a description).</summary>
    public string Source => Mesh.Source;

    /// <summary>Vertices of the mesh.</summary>
    public int VertexCount => Mesh.VertexCount;

    /// <summary>Triangles of the mesh.</summary>
    public int TriangleCount => Mesh.TriangleCount;

    /// <summary>The largest distance between two vertices, in metres (FoundationPose scales crops and pose steps
    /// by it).</summary>
    public double Diameter => Mesh.Diameter();

    /// <summary>What reading the file noticed and worked around (a missing texture, say); empty when nothing.</summary>
    public IReadOnlyList<string> Warnings => Mesh.Warnings;
}
