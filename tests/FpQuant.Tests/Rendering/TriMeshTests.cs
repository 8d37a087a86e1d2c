using FpQuant.Geometry;
using FpQuant.Rendering;

namespace FpQuant.Tests.Rendering;

[Trait("Category", "Quick")]
public class TriMeshTests
{
    /// <summary>A unit tetrahedron with outward (counter-clockwise from outside) triangles.</summary>
    private static TriMesh Tetrahedron() => new(
        new float[] { 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1 },
        new[] { 0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3 });

    [Fact]
    public void ClosedAndOutward_IsSettledWhenTheMeshIsMade()
    {
        // The rasterizer's threads read the flag at once; it must be fixed before any of them looks. Computed
        // lazily (as it was), a mesh whose triangles changed after construction answered for the changed ones.
        var mesh = Tetrahedron();
        for (int t = 0; t < mesh.Triangles.Length; t += 3)
            (mesh.Triangles[t + 1], mesh.Triangles[t + 2]) = (mesh.Triangles[t + 2], mesh.Triangles[t + 1]);
        Assert.True(mesh.IsClosedAndOutward);
        Assert.False(new TriMesh(mesh.Positions, mesh.Triangles).IsClosedAndOutward);
    }

    [Fact]
    public void ClosedAndOutward_ReadByManyThreadsAtOnce_IsOneAnswer()
    {
        var mesh = Tetrahedron();
        var answers = new bool[64];
        Parallel.For(0, answers.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            i => answers[i] = mesh.IsClosedAndOutward);
        Assert.All(answers, Assert.True);
        Assert.True(mesh.Translated(new Vec3(0.1, -0.2, 0.3)).IsClosedAndOutward);
    }
}
