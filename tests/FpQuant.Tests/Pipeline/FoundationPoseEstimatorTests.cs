using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Networks;
using FpQuant.FoundationPose;
using FpQuant.Onnx;
using FpQuant.Pipeline;
using FpQuant.Rendering;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Pipeline;

/// <summary>The public FoundationPose API as a C# caller meets it: an estimator from weights or ONNX files, the demo
/// scene registered, tracked, and bad inputs refused with a message naming what to fix.</summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public sealed class FoundationPoseEstimatorTests : IDisposable
{
    private readonly ExportedModels _models;
    private readonly TempDir _cache = new();
    private static readonly Lazy<SampleScene> Demo = new(SampleScene.Demo);

    public FoundationPoseEstimatorTests(ExportedModels models) { _models = models; }

    public void Dispose() => _cache.Dispose();

    private FoundationPoseOptions Small(int hypotheses = 6, int iterations = 2, string variant = "fp32") => new()
    {
        Hypotheses = hypotheses, RefineIterations = iterations, Threads = 2, Variant = variant,
        ModelCacheFolder = _cache.Path,
    };

    [Fact]
    public void SampleScene_IsTheDemoScene()
    {
        var s = Demo.Value;
        var internalDemo = DemoScene.Create();
        Assert.Equal(internalDemo.Frame.Rgb, s.Frame.Rgb);
        Assert.Equal(internalDemo.Frame.Depth, s.Frame.Depth);
        Assert.Equal(internalDemo.Frame.Mask, s.Mask);
        Assert.Equal(DemoScene.K, s.K);
        Assert.Equal(DemoScene.TruePose, s.TruePose);
        Assert.Equal(internalDemo.Diameter, s.Mesh.Diameter, 12);
        Assert.True(s.Mesh.TriangleCount > 10_000);
    }

    [Fact]
    public void Register_WithoutRefinement_StartsAtTheTranslationGuess_NearTheTruth()
    {
        // With synthetic weights refinement moves the pose anywhere (the networks are untrained), so the truth is
        // checked where it can be: the hypotheses start at the translation guess from the mask, depth and K, which the
        // pipeline's tests hold within half the object's diameter of the true position (RegistrationTests).
        var s = Demo.Value;
        using var e = FoundationPoseEstimator.FromSyntheticWeights(0, Small(iterations: 0));
        var r = e.Register(s.Frame, s.Mask, s.Mesh, s.K);
        var truth = s.TruePose!.Value;
        Assert.True((r.Pose.T - truth.T).Norm < s.Mesh.Diameter / 2, $"pose {r.Pose.T} vs truth {truth.T}");
        // The same scene with the wrong intrinsics puts the guess elsewhere: K reaches the pipeline.
        var shifted = e.Register(s.Frame, s.Mask, s.Mesh, new CameraIntrinsics(600, 600, 100, 239.5));
        Assert.True((shifted.Pose.T - truth.T).Norm > 0.1,
            $"pose {shifted.Pose.T} with the principal point 220 pixels left");
    }

    [Fact]
    public void Register_IsDeterministic_AndEqualsTheInternalPipeline()
    {
        var s = Demo.Value;
        using var e = FoundationPoseEstimator.FromSyntheticWeights(0, Small());
        var a = e.Register(s.Frame, s.Mask, s.Mesh, s.K);
        var b = e.Register(s.Frame, s.Mesh);
        Assert.Equal(a.Pose, b.Pose);
        Assert.Equal(a.Scores, b.Scores);
        Assert.Equal(6, a.Hypotheses.Count);
        Assert.Equal(a.Hypotheses[a.ChosenHypothesis], a.Pose);
        Assert.Equal(a.Scores.ToList().IndexOf(a.Scores.Max()), a.ChosenHypothesis);
        var t = a.Times;
        Assert.All(new[] { t.Setup, t.Render, t.Crop, t.Refine, t.Score }, x => Assert.True(x > 0, $"stage {x}"));
        Assert.Equal(t.Total, t.Stages.Sum(kv => kv.Value), 12);
        Assert.Equal(new[] { "setup", "render", "crop", "refine", "pose update", "score", "select" },
            t.Stages.Select(kv => kv.Key));

        // The same first frame run through the internal pipeline on the same exported files gives the same pose.
        var scene = DemoScene.Create();
        using var models = FirstFrameModels.OpenEitherOrder(e.RefineModelPath, e.ScoreModelPath,
            new FpQuant.Runtime.RuntimeSettings { IntraOpThreads = 2 }, chunkedScore: true);
        var settings = new RegistrationSettings { Hypotheses = 6, Iterations = 2, MaxMemoryBytes = 1_000_000_000 };
        var r = Registration.Run(scene, models.Runner, settings);
        Assert.Equal(r.Best, a.Pose);
    }

    [Fact]
    public void FromOnnx_TakesTheFilesInEitherOrder_AndGivesTheSyntheticWeightsPose()
    {
        var s = Demo.Value;
        string refine = _models.Path(NetworkKind.Refine), score = _models.Path(NetworkKind.Score);
        using var fromWeights = FoundationPoseEstimator.FromSyntheticWeights(0, Small(4, 1));
        using var swapped = FoundationPoseEstimator.FromOnnx(score, refine, Small(4, 1));
        Assert.Equal(refine, swapped.RefineModelPath);
        Assert.Equal(score, swapped.ScoreModelPath);
        Assert.Equal(fromWeights.Register(s.Frame, s.Mesh).Pose, swapped.Register(s.Frame, s.Mesh).Pose);
    }

    [Fact]
    public void FromCheckpoints_RunsFoundationPosesCheckpointFiles()
    {
        var s = Demo.Value;
        string refiner = TestPaths.Golden("checkpoints", "refinenet_compact.pth");
        string scorer = TestPaths.Golden("checkpoints", "scorenet_compact.pth");
        using var e = FoundationPoseEstimator.FromCheckpoints(refiner, scorer, Small(2, 1));
        Assert.Contains("refinenet_compact.pth", e.Description);
        // The exported files carry the checkpoints' weights, not the synthetic ones.
        Assert.NotEqual(File.ReadAllBytes(_models.Path(NetworkKind.Refine)), File.ReadAllBytes(e.RefineModelPath));
        var r = e.Register(s.Frame, s.Mesh);
        Assert.Equal(2, r.Scores.Count);
        Assert.All(r.Scores, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void AQuantizedVariant_Runs()
    {
        var s = Demo.Value;
        using var e = FoundationPoseEstimator.FromSyntheticWeights(0, Small(4, 1, "torch-dynamic"));
        Assert.StartsWith("torch-dynamic", e.Description);
        Assert.StartsWith(_cache.Path, e.RefineModelPath);
        var ops = OnnxModelFile.Load(e.RefineModelPath).Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Contains("MatMulInteger", ops);
        var r = e.Register(s.Frame, s.Mesh);
        Assert.Equal(4, r.Scores.Count);
        Assert.All(r.Scores, x => Assert.True(float.IsFinite(x)));
        Assert.True(double.IsFinite(r.Pose.T.Norm) && r.Pose.T.Z > 0, $"pose {r.Pose}");
        Assert.Contains("torch-dynamic", FoundationPoseEstimator.Presets);
    }

    [Fact]
    public void Track_FollowsTheRegisteredPose_AndNeedsARegistrationFirst()
    {
        var s = Demo.Value;
        using var e = FoundationPoseEstimator.FromSyntheticWeights(0, Small(4, 1));
        Assert.Throws<InvalidOperationException>(() => e.Track(s.Frame));
        var registered = e.Register(s.Frame, s.Mesh);
        var t1 = e.Track(s.Frame);
        var t2 = e.Track(s.Frame);
        Assert.True(t1.RenderSeconds > 0 && t1.RefineSeconds > 0 && t1.TotalSeconds >= t1.RefineSeconds);
        // Each frame refines the previous pose: the second step starts where the first ended.
        Assert.NotEqual(registered.Pose, t1.Pose);
        Assert.NotEqual(t1.Pose, t2.Pose);
        // FoundationPose's tracking as the pipeline runs it, from the registered pose, on the same RefineNet file.
        var runtime = new FpQuant.Runtime.RuntimeSettings { IntraOpThreads = 2 };
        using var refine = new CropPairSession(e.RefineModelPath, runtime);
        using var refiner = new NetworkTrackRefiner(refine);
        var tracker = new PoseTracker(DemoScene.Create(), refiner);
        tracker.Reset(registered.Pose);
        Assert.Equal(tracker.Track(s.Frame).Pose, t1.Pose);
        Assert.Equal(tracker.Track(s.Frame).Pose, t2.Pose);
    }

    [Fact]
    public void BadInputs_ThrowFpQuantException_NamingTheArgumentOrFile()
    {
        var s = Demo.Value;
        using var e = FoundationPoseEstimator.FromSyntheticWeights(0, Small(2, 1));
        var wrongMask = new bool[320 * 240];
        var ex = Assert.Throws<FpQuantException>(() => e.Register(s.Frame, wrongMask, s.Mesh, s.K));
        Assert.Contains("mask", ex.Message);
        Assert.Contains("640x480", ex.Message);
        ex = Assert.Throws<FpQuantException>(() => e.Register(s.Frame, new bool[640 * 480], s.Mesh, s.K));
        Assert.Contains("no pixels", ex.Message);
        var zeroFocal = new CameraIntrinsics(0, 600, 320, 240);
        ex = Assert.Throws<FpQuantException>(() => e.Register(s.Frame, s.Mask, s.Mesh, zeroFocal));
        Assert.Contains("fx", ex.Message);

        string missing = _cache.File("nowhere.onnx");
        string refine = _models.Path(NetworkKind.Refine), score = _models.Path(NetworkKind.Score);
        ex = Assert.Throws<FpQuantException>(() => FoundationPoseEstimator.FromOnnx(missing, score));
        Assert.Contains("refineModel", ex.Message);
        Assert.Contains("nowhere.onnx", ex.Message);
        string refiner = TestPaths.Golden("checkpoints", "refinenet_compact.pth");
        ex = Assert.Throws<FpQuantException>(() =>
            FoundationPoseEstimator.FromCheckpoints(refiner, _cache.File("scorer.pth")));
        Assert.Contains("scorerCheckpoint", ex.Message);
        Assert.Contains("scorer.pth", ex.Message);
        ex = Assert.Throws<FpQuantException>(() => FoundationPoseEstimator.FromOnnx(refine, refine, Small()));
        Assert.Contains("both refine models", ex.Message);
        ex = Assert.Throws<FpQuantException>(() => ObjectMesh.Load(_cache.File("mesh.obj")));
        Assert.Contains("mesh.obj", ex.Message);
        ex = Assert.Throws<FpQuantException>(() =>
            RgbdFrame.Load(_cache.File("rgb.png"), _cache.File("depth.png"), _cache.File("mask.png"), s.K));
        Assert.Contains("rgb.png", ex.Message);

        foreach (var options in new[] { Small(0), Small(253) })
            Assert.Contains("Hypotheses", Assert.Throws<FpQuantException>(() =>
                FoundationPoseEstimator.FromSyntheticWeights(0, options)).Message);
        Assert.Contains("ExecutionProvider", Assert.Throws<FpQuantException>(() =>
            FoundationPoseEstimator.FromSyntheticWeights(0,
                new FoundationPoseOptions { ExecutionProvider = (FpQuant.Runtime.ExecutionProviderKind)7 })).Message);
        Assert.Contains("no-such-preset", Assert.Throws<FpQuantException>(() =>
            FoundationPoseEstimator.FromSyntheticWeights(0, Small(variant: "no-such-preset"))).Message);
        Assert.Contains("Threads", Assert.Throws<FpQuantException>(() =>
            FoundationPoseEstimator.FromSyntheticWeights(0, new FoundationPoseOptions { Threads = -1 })).Message);

        e.Dispose();
        Assert.Throws<ObjectDisposedException>(() => e.Register(s.Frame, s.Mesh));
    }
}
