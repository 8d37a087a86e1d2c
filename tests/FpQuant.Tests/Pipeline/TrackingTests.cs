using FpQuant.Core;
using FpQuant.Datasets;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using FpQuant.Training;

namespace FpQuant.Tests.Pipeline;

/// <summary>The demo video in memory: frames and the bottle's true pose per frame, made once for the tests.</summary>
public static class DemoVideo
{
    public const int Frames = 12;
    private static readonly Lazy<(RgbdFrame[] Frames, Pose[] Truth, Scene First)> Made = new(() =>
    {
        var bottle = DemoScene.Bottle();
        var box = OccluderBox.Create();
        var frames = new RgbdFrame[Frames];
        var truth = new Pose[Frames];
        for (int f = 0; f < Frames; f++) (frames[f], truth[f]) = SyntheticVideo.DemoFrame(bottle, box, f, Frames, 0);
        return (frames, truth, Scene.Create(frames[0], bottle, "demo video frame 1", truth[0]));
    });

    public static RgbdFrame[] FramesOf => Made.Value.Frames;
    public static Pose[] Truth => Made.Value.Truth;
    internal static Scene First => Made.Value.First;
}

/// <summary>A refiner that knows the answer: the outputs that move the pose exactly onto the frame's true pose
/// (rounded to float32 as a network's outputs are), and the pairs it was given.</summary>
public sealed class OracleRefiner : ITrackRefiner
{
    public Pose TruthCentred;
    public double Diameter;
    public int Calls;
    public int LastRenderedPixels, LastObservedPixels;
    public string Description => "oracle";

    public (Vec3 Trans, Vec3 Rot) Refine(ReadOnlySpan<float> rendered, ReadOnlySpan<float> observed, Pose centredPose)
    {
        Calls++;
        int n = CropPair.Size * CropPair.Size;
        LastRenderedPixels = 0; LastObservedPixels = 0;
        for (int i = 0; i < n; i++)
        {
            if (rendered[5 * n + i] != 0) LastRenderedPixels++;
            if (observed[5 * n + i] != 0) LastObservedPixels++;
        }
        Assert.True(RefineTarget.TryCompute(centredPose, TruthCentred, Diameter, out var t, out var r),
            "the motion between frames is within the update's reach");
        static Vec3 F(Vec3 v) => new((float)v.X, (float)v.Y, (float)v.Z);
        return (F(t), F(r));
    }
}

/// <summary>A refiner that never moves the pose (RefineNet outputs of zero).</summary>
public sealed class FrozenRefiner : ITrackRefiner
{
    public string Description => "frozen";
    public (Vec3 Trans, Vec3 Rot) Refine(ReadOnlySpan<float> rendered, ReadOnlySpan<float> observed,
        Pose centredPose) => (default, default);
}

/// <summary>A scorer that returns scripted logits in order.</summary>
public sealed class ScriptedScorer : ITrackScorer
{
    private readonly float[] _logits;
    private int _next;
    public ScriptedScorer(params float[] logits) { _logits = logits; }
    public string Description => "scripted";
    public float Score(ReadOnlySpan<float> rendered, ReadOnlySpan<float> observed, Pose centredPose) =>
        _logits[_next++];
}

[Trait("Category", "Heavy")]
public class TrackingTests
{
    private static double RotationRad(Pose a, Pose b) => Mat3.AngleDegrees(a.R, b.R) * Math.PI / 180;

    [Fact]
    public void OracleRefiner_TracksTheGroundTruth_Within1e4_OverTheWholeSequence()
    {
        var scene = DemoVideo.First;
        var truth = DemoVideo.Truth;
        var oracle = new OracleRefiner { Diameter = scene.Diameter };
        var tracker = new PoseTracker(scene, oracle);
        Assert.Equal(2, tracker.Settings.Iterations); // FoundationPose's track_refine_iter
        tracker.Reset(truth[0]);
        double largestStep = 0;
        for (int f = 1; f < DemoVideo.Frames; f++)
        {
            largestStep = Math.Max(largestStep, (truth[f].T - truth[f - 1].T).Norm);
            oracle.TruthCentred = scene.FromMeshFrame(truth[f]);
            var r = tracker.Track(DemoVideo.FramesOf[f]);
            Assert.True((r.Pose.T - truth[f].T).Norm < 1e-4,
                $"frame {f}: translation off by {(r.Pose.T - truth[f].T).Norm} m");
            Assert.True(RotationRad(r.Pose, truth[f]) < 1e-4,
                $"frame {f}: rotation off by {RotationRad(r.Pose, truth[f])} rad");
            Assert.Equal(r.Pose, tracker.Pose);
            // The last iteration's pair was rendered and observed at (nearly) the true pose: both show the object.
            Assert.InRange(oracle.LastRenderedPixels, 1000, 160 * 160);
            Assert.InRange(oracle.LastObservedPixels, 1000, 160 * 160);
            Assert.True(r.StepSeconds > 0 && r.ScoreSeconds == 0 && r.Score == null && !r.Lost);
        }
        // The truth really moves (so staying put would fail), and every frame ran two iterations.
        Assert.True(largestStep > 1e-3, $"the camera moved only {largestStep} m a frame");
        Assert.Equal(2 * (DemoVideo.Frames - 1), oracle.Calls);
        Assert.Equal(DemoVideo.Frames - 1, tracker.FramesTracked);
    }

    [Fact]
    public void FrozenRefiner_KeepsTheFirstPose_Exactly()
    {
        var scene = DemoVideo.First;
        var start = DemoVideo.Truth[0];
        var tracker = new PoseTracker(scene, new FrozenRefiner(), new TrackSettings { Iterations = 3 });
        tracker.Reset(start);
        for (int f = 1; f < DemoVideo.Frames; f++)
        {
            var r = tracker.Track(DemoVideo.FramesOf[f]);
            // Mesh frame -> centred -> mesh frame can differ in the last bit of the translation, never more.
            Assert.Equal(start.R, r.Pose.R);
            Assert.True((r.Pose.T - start.T).Norm < 1e-15, $"frame {f}: moved by {(r.Pose.T - start.T).Norm}");
            Assert.Equal(scene.FromMeshFrame(start).R, r.CentredPose.R);
        }
    }

    [Fact]
    public void Tracking_BeforeRegistration_IsRefused_AndTheLostCheckNeedsAScorer()
    {
        var tracker = new PoseTracker(DemoVideo.First, new FrozenRefiner());
        Assert.False(tracker.IsRegistered);
        Assert.Throws<InvalidOperationException>(() => tracker.Track(DemoVideo.FramesOf[1]));
        var e = Assert.Throws<FpQuantException>(() =>
            new PoseTracker(DemoVideo.First, new FrozenRefiner(), new TrackSettings { LostScoreThreshold = 0 }));
        Assert.Contains("LostScoreThreshold", e.Message);
        Assert.Throws<FpQuantException>(() =>
            new PoseTracker(DemoVideo.First, new FrozenRefiner(), new TrackSettings { Iterations = 0 }));
    }

    [Fact]
    public void LostCheck_FlagsEveryFrameScoredBelowTheThreshold_AndCountsThem_AndResetClearsTheCount()
    {
        var scorer = new ScriptedScorer(1.5f, -0.5f, 0f, -3f, float.NaN, 2f);
        var tracker =
            new PoseTracker(DemoVideo.First, new FrozenRefiner(), new TrackSettings { LostScoreThreshold = 0 }, scorer);
        tracker.Reset(DemoVideo.Truth[0]);
        var lost = new List<bool>();
        var scores = new List<float?>();
        for (int f = 1; f <= 6; f++)
        {
            var r = tracker.Track(DemoVideo.FramesOf[f]);
            lost.Add(r.Lost);
            scores.Add(r.Score);
        }
        // Below the threshold, or no number at all (NaN), is lost; at or above it is not.
        Assert.Equal(new[] { false, true, false, true, true, false }, lost);
        Assert.Equal(1.5f, scores[0]);
        Assert.Equal(-3f, scores[3]);
        Assert.Equal(3, tracker.LostFrames);
        tracker.Reset(DemoVideo.Truth[6]);
        Assert.Equal(0, tracker.LostFrames);
        Assert.Equal(0, tracker.FramesTracked);
    }

    [Fact]
    public void TrackingFrames_AllocateAlmostNothing_AfterWarmUp()
    {
        var scene = DemoVideo.First;
        var oracle = new OracleRefiner { Diameter = scene.Diameter };
        var tracker = new PoseTracker(scene, oracle);
        tracker.Reset(DemoVideo.Truth[0]);
        void Frame(int f) { oracle.TruthCentred =
            scene.FromMeshFrame(DemoVideo.Truth[f]); tracker.Track(DemoVideo.FramesOf[f]); }
        for (int f = 1; f < 4; f++) Frame(f);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int f = 4; f < DemoVideo.Frames; f++) Frame(f);
        double perFrame = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / (DemoVideo.Frames - 4);
        // No crop, frame or visibility buffer per frame: what is left is a few small arrays (the window's four
        // offsets).
        Assert.True(perFrame < 4096, $"a tracking frame allocated {perFrame:F0} bytes");
    }
}

/// <summary>The tracker with the real networks in ONNX Runtime.</summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class NetworkTrackingTests
{
    private readonly ExportedModels _models;
    public NetworkTrackingTests(ExportedModels models) { _models = models; }

    private static readonly RuntimeSettings Runtime = new() { IntraOpThreads = 2 };

    [Theory]
    [InlineData(ModelLayout.Nchw)]
    [InlineData(ModelLayout.Isaac)]
    public void OneIteration_OverBoundBuffers_IsTheBatchPathsUpdate(ModelLayout layout)
    {
        var first = DemoVideo.First;
        using var refine = new CropPairSession(_models.Path(NetworkKind.Refine, layout), Runtime);
        using var refiner = new NetworkTrackRefiner(refine);
        var tracker = new PoseTracker(first, refiner, new TrackSettings { Iterations = 1 });
        tracker.Reset(DemoVideo.Truth[0]);
        var frame = DemoVideo.FramesOf[1];
        var tracked = tracker.Track(frame);

        // The same pair through the first frame's path: SceneCropSource (whole-frame XYZ), CropPairSession.Run, the
        // update.
        var scene = Scene.Create(frame, DemoScene.Bottle(), "frame 2");
        var start = scene.FromMeshFrame(DemoVideo.Truth[0]);
        var batch = new SceneCropSource(scene).Crops(new[] { start }, 0, 1, 0);
        var outs = refine.Run(batch.Rendered, batch.Observed);
        var poses = new List<Pose> { start };
        PoseUpdate.ApplyAll(poses, outs[0].Value, outs[1].Value, 0, scene.Diameter);
        Assert.True((tracked.CentredPose.T - poses[0].T).Norm < 1e-9, $"{tracked.CentredPose.T} vs {poses[0].T}");
        Assert.True(Mat3.AngleDegrees(tracked.CentredPose.R, poses[0].R) < 1e-6);
        // And the network did move the pose (an untrained refiner moves it somewhere).
        Assert.True((tracked.CentredPose.T - start.T).Norm > 1e-6);
    }

    [Fact]
    public void LostCheck_ScoresTheTrackedPair_WithScoreNet_AsTheBatchPathDoes()
    {
        var first = DemoVideo.First;
        using var score = new CropPairSession(_models.Path(NetworkKind.Score), Runtime);
        using var scorer = new NetworkTrackScorer(score);
        var tracker =
            new PoseTracker(first, new FrozenRefiner(), new TrackSettings { LostScoreThreshold = 1e6 }, scorer);
        tracker.Reset(DemoVideo.Truth[0]);
        var frame = DemoVideo.FramesOf[1];
        var r = tracker.Track(frame);
        var scene = Scene.Create(frame, DemoScene.Bottle(), "frame 2");
        var batch = new SceneCropSource(scene).Crops(new[] { scene.FromMeshFrame(DemoVideo.Truth[0]) }, 0, 1, -1);
        float expected = score.Run(batch.Rendered, batch.Observed)[0].Value.Data[0];
        Assert.Equal(expected, r.Score!.Value, 5);
        Assert.True(r.Lost); // every logit is below 1e6
        Assert.True(r.ScoreSeconds > 0);
        Assert.Throws<FpQuantException>(() =>
            new NetworkTrackScorer(new CropPairSession(_models.Path(NetworkKind.Refine), Runtime)));
    }

    [Fact]
    public void NetworkTrackingFrames_AllocateUnder64KB_AfterWarmUp()
    {
        var first = DemoVideo.First;
        using var refine = new CropPairSession(_models.Path(NetworkKind.Refine), Runtime);
        using var refiner = new NetworkTrackRefiner(refine);
        var tracker = new PoseTracker(first, refiner);
        tracker.Reset(DemoVideo.Truth[0]);
        tracker.Track(DemoVideo.FramesOf[1]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int f = 2; f < 6; f++) tracker.Track(DemoVideo.FramesOf[f]);
        double perFrame = (before - GC.GetAllocatedBytesForCurrentThread()) / -4.0;
        Assert.True(perFrame < 64 * 1024, $"a tracking frame with RefineNet allocated {perFrame:F0} bytes");
    }
}

/// <summary>A sequence tracked end to end: registration, tracking, the lost check and re-registration.</summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class SequenceTrackingTests
{
    private readonly ExportedModels _models;
    public SequenceTrackingTests(ExportedModels models) { _models = models; }

    private static TrackSequence Demo(int n) => new("demo video", Enumerable.Range(1, n).ToList(),
        DemoVideo.Truth.Take(n).Select(t => (Pose?)t).ToList(), i => DemoVideo.FramesOf[i],
        i => Scene.Create(DemoVideo.FramesOf[i], DemoScene.Bottle(), $"frame {i + 1}", DemoVideo.Truth[i]));

    [Fact]
    public void AFrameFlaggedLost_IsFollowedByARegistration_WhenAsked_AndEveryFrameIsReported()
    {
        var runtime = new RuntimeSettings { IntraOpThreads = 2 };
        using var refine = new CropPairSession(_models.Path(NetworkKind.Refine), runtime);
        using var score = new CropPairSession(_models.Path(NetworkKind.Score), runtime);
        var seq = Demo(6);
        var scorer = new ScriptedScorer(1f, -1f, 1f, 1f);
        var settings = new SequenceTrackingSettings
        {
            Registration = new RegistrationSettings { Hypotheses = 2, Iterations = 1 },
            Track = new TrackSettings { Iterations = 1, LostScoreThreshold = 0 },
            ReregisterWhenLost = true,
        };
        var tracker = new PoseTracker(seq.First, new FrozenRefiner(), settings.Track, scorer);
        var seen = new List<int>();
        var frames =
            SequenceTracking.Run(seq, tracker, new FirstFrameRunner(refine, score), settings, f => seen.Add(f.FrameId));
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6 }, seen);
        Assert.Equal(new[] { true, false, false, true, false, false }, frames.Select(f => f.Registered));
        Assert.Equal(new[] { false, false, true, false, false, false }, frames.Select(f => f.Lost));
        // A frozen refiner keeps the pose it was given: frames 2-3 keep frame 1's registered pose, 5-6 frame 4's.
        Assert.Equal(frames[0].Pose.R, frames[2].Pose.R);
        Assert.Equal(frames[3].Pose.R, frames[5].Pose.R);
        Assert.True((frames[3].Pose.T - frames[5].Pose.T).Norm < 1e-15);
        Assert.All(frames, f => Assert.NotNull(f.Error));
        Assert.Equal(new float?[] { null, 1f, -1f, null, 1f, 1f }, frames.Select(f => f.Score));
        Assert.All(frames, f => Assert.True(f.Seconds > 0));
        // The re-registration restarted the counts: frames 5 and 6 tracked since, none lost.
        Assert.Equal((2, 0), (tracker.FramesTracked, tracker.LostFrames));
    }
}
