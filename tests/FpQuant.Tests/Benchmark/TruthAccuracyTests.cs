using FpQuant.Benchmark;
using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Tests.Benchmark;

[Trait("Category", "Quick")]
public class TruthAccuracyTests
{
    [Fact]
    public void Errors_AreInTheMeshFilesFrame_ForAMeshNotCentredAtItsOrigin()
    {
        var demo = DemoScene.Create();
        // The same object with its mesh file's origin 0.12 m away from its centre.
        var o = new Vec3(0.05, -0.02, 0.1);
        var shifted = demo.Mesh.Translated(-o);
        var truth = new Pose(DemoScene.TruePose.R, DemoScene.TruePose.T - DemoScene.TruePose.R * o);
        var scene = Scene.Create(demo.Frame, shifted, "shifted demo", truth);
        Assert.True((scene.MeshCenter - o).Norm < 1e-6);
        var truthCentred = scene.FromMeshFrame(truth);
        var off = new Pose(Mat3.ExpSo3(new Vec3(0, 0.1, 0)) * truthCentred.R, truthCentred.T + new Vec3(0.01, 0, 0));
        var frame = new FirstFrameResult(new[] { off, truthCentred }, new[] { 0f, 1f }, 1,
            new StageTimes(0, 0, 0, 0, 0, 0, 0), Array.Empty<float>());
        var a = TruthAccuracy.Of(scene, frame)!;
        Assert.True(a.Chosen.RotationDeg < 1e-6 && a.Chosen.TranslationMm < 1e-6 && a.Chosen.AddMm < 1e-3);
        // Worked out on the mesh file's own points and poses.
        var e = PoseError.Between(truth, scene.ToMeshFrame(off), PoseError.ModelPoints(shifted));
        Assert.Equal(0.1 * 180 / Math.PI / 2, a.MeanRotationDeg, 6);
        Assert.Equal(e.TranslationMm / 2, a.MeanTranslationMm, 6);
        Assert.Equal(e.AddMm / 2, a.MeanAddMm, 3);
        // The mesh file's origin is far from the centre, so its translation error is not the centre's 10 mm.
        Assert.True(Math.Abs(e.TranslationMm - 10) > 1);
        Assert.Null(TruthAccuracy.Of(Scene.Create(demo.Frame, shifted, "no truth"), frame));
    }
}
