using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Benchmark;

/// <summary>A first frame's poses against the scene's true pose (mesh-file frame): the chosen pose's error, and the
/// mean error of all refined hypotheses (the refiner's accuracy, whatever the scorer picks).</summary>
internal sealed record TruthAccuracy(PoseError Chosen, double MeanRotationDeg, double MeanTranslationMm,
    double MeanAddMm)
{
    /// <summary>Null when the scene's true pose is unknown.</summary>
    public static TruthAccuracy? Of(Scene scene, FirstFrameResult frame)
    {
        if (scene.TruePose is not Pose truth || frame.Poses.Count == 0) return null;
        var points = PoseError.ModelPoints(scene.Mesh, scene.MeshCenter);
        var all = frame.Poses.Select(p => PoseError.Between(truth, scene.ToMeshFrame(p), points)).ToList();
        return new TruthAccuracy(all[frame.Best], all.Average(e => e.RotationDeg), all.Average(e => e.TranslationMm),
            all.Average(e => e.AddMm));
    }
}
