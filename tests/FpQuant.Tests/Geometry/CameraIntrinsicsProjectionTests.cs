using FpQuant.Geometry;

namespace FpQuant.Tests.Geometry;

/// <summary>
/// <see cref="CameraIntrinsics.Project"/> and <see cref="CameraIntrinsics.BackProject"/> (the one home of the pinhole
/// rule) against u = fx x / z + cx, v = fy y / z + cy written out here, and against each other.
/// </summary>
[Trait("Category", "Quick")]
public class CameraIntrinsicsProjectionTests
{
    private static readonly CameraIntrinsics K = new(572.4114, 573.57043, 325.2611, 242.04899);

    [Theory]
    [InlineData(0.0, 0.0, 1.0)]
    [InlineData(0.12, -0.07, 0.8)]
    [InlineData(-0.3, 0.25, 2.5)]
    public void Project_IsThePinholeFormula(double x, double y, double z)
    {
        var (u, v) = K.Project(new Vec3(x, y, z));
        Assert.Equal(572.4114 * x / z + 325.2611, u, 12);
        Assert.Equal(573.57043 * y / z + 242.04899, v, 12);
    }

    [Fact]
    public void PrincipalPoint_IsTheOpticalAxis()
    {
        var (u, v) = K.Project(new Vec3(0, 0, 3));
        Assert.Equal((K.Cx, K.Cy), (u, v));
        Assert.Equal(new Vec3(0, 0, 3), K.BackProject(K.Cx, K.Cy, 3));
    }

    [Theory]
    [InlineData(0.0, 0.0, 0.5)]
    [InlineData(639.0, 479.0, 1.2)]
    [InlineData(100.5, 37.25, 0.75)]
    public void BackProject_ThenProject_ReturnsThePixel(double u, double v, double depth)
    {
        var p = K.BackProject(u, v, depth);
        Assert.Equal(depth, p.Z);
        Assert.Equal((u - 325.2611) / 572.4114 * depth, p.X, 12);
        Assert.Equal((v - 242.04899) / 573.57043 * depth, p.Y, 12);
        var (pu, pv) = K.Project(p);
        Assert.Equal(u, pu, 9);
        Assert.Equal(v, pv, 9);
        // Depth 1 is the pixel's ray.
        Assert.Equal(new Vec3(K.RayX(u), K.RayY(v), 1), K.BackProject(u, v, 1));
    }

    [Fact]
    public void SinglePrecisionForm_AgreesWithTheDoubleOne()
    {
        var ks = K.ToSingle();
        var p = new Vec3(0.05, -0.11, 0.9);
        var (u, v) = K.Project(p);
        float inv = 1f / (float)p.Z;
        Assert.Equal(u, ks.ProjectX((float)p.X, inv), 3);
        Assert.Equal(v, ks.ProjectY((float)p.Y, inv), 3);
        var q = K.BackProject(200, 300, 0.9);
        Assert.Equal(q.X, ks.BackProjectX(200, 0.9f), 5);
        Assert.Equal(q.Y, ks.BackProjectY(300, 0.9f), 5);
    }
}
