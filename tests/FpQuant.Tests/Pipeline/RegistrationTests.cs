using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Geometry;
using FpQuant.Tests.Support;
using FpQuant.Variants;

namespace FpQuant.Tests.Pipeline;

/// <summary>The demo scene and the registration pipeline with the real networks in ONNX Runtime.</summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class RegistrationTests
{
    private readonly ExportedModels _models;
    private static readonly Lazy<Scene> Demo = new(() => DemoScene.Create());

    public RegistrationTests(ExportedModels models) { _models = models; }

    [Fact]
    public void DemoScene_HasAPlausibleFrame_AndIsDeterministic()
    {
        var s = Demo.Value;
        Assert.Equal((640, 480), (s.Frame.Width, s.Frame.Height));
        Assert.InRange(s.Guess.MaskPixels, 3000, 40_000);
        double validShare = (double)s.Guess.ValidDepthPixels / s.Guess.MaskPixels;
        Assert.InRange(validShare, 0.98, 0.999); // mild dropouts, as a sensor has
        // The guess lies on the visible surface in front of the object's centre, within its radius.
        Assert.True((s.Guess.T - s.TruePose!.Value.T).Norm < s.Diameter / 2,
            $"guess {s.Guess.T} vs truth {s.TruePose.Value.T}");
        Assert.True(s.Guess.T.Z < s.TruePose.Value.T.Z);
        var again = DemoScene.Create();
        Assert.Equal(s.Frame.Rgb, again.Frame.Rgb);
        Assert.Equal(s.Frame.Depth, again.Frame.Depth);
    }

    [Fact]
    public void AtTheTruePose_TheRenderedCropMatchesTheObservedOne()
    {
        // The whole chain (crop window, window intrinsics, rasterizer, frame warp, normalisation) must agree with
        // itself: at the pose the frame was rendered with, the rendered and observed crops show the same surface.
        var s = Demo.Value;
        var pose = s.FromMeshFrame(s.TruePose!.Value);
        var batch = new SceneCropSource(s).Crops(new[] { pose }, 0, 1, 0);
        int n = 160 * 160;
        var r = batch.Rendered.Data; var o = batch.Observed.Data;
        int both = 0, either = 0;
        double xyzErr = 0, rgbErr = 0;
        for (int i = 0; i < n; i++)
        {
            bool a = r[5 * n + i] != 0, b = o[5 * n + i] != 0;
            if (a || b) either++;
            if (!(a && b)) continue;
            both++;
            for (int c = 0; c < 3; c++)
            {
                xyzErr += Math.Abs(r[(3 + c) * n + i] - o[(3 + c) * n + i]);
                rgbErr += Math.Abs(r[c * n + i] - o[c * n + i]);
            }
        }
        Assert.True(both > 0.9 * either, $"overlap {both} of {either}");
        // 0.03 radii = 2.5 mm
        Assert.True(xyzErr / (3 * both) < 0.03, $"mean XYZ difference {xyzErr / (3 * both)} radii");
        Assert.True(rgbErr / (3 * both) < 0.05, $"mean RGB difference {rgbErr / (3 * both)}");
    }

    [Fact]
    public void SceneCrops_HaveTheNetworksShapeAndRanges_ForRefinerAndScorer()
    {
        var s = Demo.Value;
        var poses = PoseHypotheses.Generate(s.Guess.T, 5);
        foreach (int iteration in new[] { 0, -1 })
        {
            var b = new SceneCropSource(s).Crops(poses, 1, 4, iteration);
            Assert.Equal(new[] { 4, 6, 160, 160 }, b.Rendered.Shape);
            Assert.Equal(new[] { 4, 6, 160, 160 }, b.Observed.Shape);
            foreach (var t in new[] { b.Rendered, b.Observed })
                for (int p = 0; p < 4; p++)
                {
                    var slot = t.Data.AsSpan(p * 6 * 25600, 6 * 25600);
                    int nonzeroRgb = 0, nonzeroXyz = 0;
                    for (int i = 0; i < 3 * 25600; i++) { Assert.InRange(slot[i], 0f, 1f); if (slot[i] != 0)
                        nonzeroRgb++; }
                    for (int i = 3 * 25600; i < 6 * 25600; i++) { Assert.True(slot[i] > -2f
                        && slot[i] < 2f); if (slot[i] != 0) nonzeroXyz++; }
                    Assert.True(nonzeroRgb > 1000 && nonzeroXyz > 1000, $"crop {p} is nearly empty");
                }
            Assert.True(b.RenderSeconds > 0 && b.CropSeconds > 0);
        }
    }

    [Fact]
    public void Registration_RunsEveryStage_WithTheRealNetworks()
    {
        var s = Demo.Value;
        var rt = new RuntimeSettings { IntraOpThreads = 2 };
        using var refine = new CropPairSession(_models.Path(NetworkKind.Refine), rt);
        using var score = new CropPairSession(_models.Path(NetworkKind.Score), rt);
        var settings = new RegistrationSettings { Hypotheses = 6, Iterations = 2, RefineBatch = 4 };
        var r = Registration.Run(s, new FirstFrameRunner(refine, score), settings);
        Assert.Equal(6, r.Frame.Poses.Count);
        Assert.Equal(6, r.Frame.Scores.Length);
        Assert.Equal(6 * 6 * 2, r.Frame.RefineOutputs.Length);
        Assert.Equal(Array.IndexOf(r.Frame.Scores, r.Frame.Scores.Max()), r.Frame.Best);
        // Replaying the refiner's recorded outputs through the spec's update (section 7, computed here with the series
        // exponential, not with PoseUpdate) reproduces every final pose: each batch appended its trans (n x 3) then its
        // rot (n x 3), iteration after iteration.
        // A batch cap of 4 over 6 hypotheses runs balanced, as 3 + 3.
        Assert.Equal(3, r.Frame.Plan!.RefineBatch);
        var replay = PoseHypotheses.Generate(s.Guess.T, 6);
        var outputs = r.Frame.RefineOutputs;
        int k = 0;
        for (int it = 0; it < 2; it++)
            foreach (var (startIdx, count) in FirstFrameRunner.Steps(6, r.Frame.Plan.RefineBatch))
            {
                for (int i = 0; i < count; i++)
                {
                    var tr = new Vec3(outputs[k + 3 * i], outputs[k + 3 * i + 1], outputs[k + 3 * i + 2]);
                    var rot = new Vec3(outputs[k + 3 * count + 3 * i], outputs[k + 3 * count + 3 * i + 1],
                        outputs[k + 3 * count + 3 * i + 2]);
                    replay[startIdx + i] = SpecUpdate(replay[startIdx + i], tr, rot, s.Diameter);
                }
                k += 6 * count;
            }
        var start = PoseHypotheses.Generate(s.Guess.T, 6);
        for (int i = 0; i < 6; i++)
        {
            var p = r.Frame.Poses[i];
            So3Series.AssertClose(replay[i].R, p.R, 1e-12, $"hypothesis {i}");
            Assert.True((replay[i].T - p.T).Norm < 1e-12, $"hypothesis {i}: t {p.T}, spec {replay[i].T}");
            Assert.True((p.T - start[i].T).Norm > 0 && Mat3.AngleDegrees(p.R, start[i].R) > 0,
                "refinement moved every hypothesis");
            // tanh bounds each rotation step to sqrt(3) x 20 degrees.
            Assert.True(Mat3.AngleDegrees(p.R, start[i].R) <= 2 * Math.Sqrt(3) * 20 + 1e-6);
        }
        var t = r.Times;
        Assert.All(new[] { t.Setup, t.Render, t.Crop, t.Refine, t.Score }, x => Assert.True(x > 0, $"stage times {t}"));
        Assert.Equal(t.Setup + t.Render + t.Crop + t.Refine + t.PoseUpdate + t.Score + t.Select, t.Total, 12);
        // The chosen pose is reported for the original mesh: x_cam = R (x - centre) + t.
        Assert.Equal(r.BestCentred.T - r.BestCentred.R * s.MeshCenter, r.Best.T);
    }

    /// <summary>
    /// Spec section 7: dt = trans * diameter/2; dR = exp_so3(tanh(rot) * 0.3490658503988659)^T; t' = t + dt; R' = dR R.
    /// </summary>
    private static Pose SpecUpdate(Pose p, Vec3 trans, Vec3 rot, double diameter)
    {
        var w = new Vec3(Math.Tanh(rot.X), Math.Tanh(rot.Y), Math.Tanh(rot.Z)) * 0.3490658503988659;
        return new Pose(So3Series.Exp(w).T * p.R, p.T + trans * (diameter / 2));
    }

    [Fact]
    public void SceneCalibration_GivesDeterministicBatchesInTheModelsLayout()
    {
        var s = Demo.Value;
        var src = new SceneInputSource(s, 5, 2);
        foreach (var (kind, layout) in new[] { (NetworkKind.Refine, ModelLayout.Nchw),
            (NetworkKind.Score, ModelLayout.Isaac) })
        {
            var model = FpQuant.Onnx.OnnxModelFile.Load(_models.Path(kind, layout));
            var a = src.Batches(model, "m").ToList();
            var b = src.Batches(model, "m").ToList();
            Assert.Equal(new[] { 2, 2, 1 }, a.Select(x => x.Values.First().Shape[0]));
            var expectedShape = layout == ModelLayout.Nchw ? new[] { 2, 6, 160, 160 } : new[] { 2, 160, 160, 6 };
            Assert.Equal(expectedShape, a[0].Values.First().Shape);
            for (int i = 0; i < a.Count; i++)
                foreach (var key in a[i].Keys) Assert.Equal(a[i][key].Data, b[i][key].Data);
        }
        // Refiner and scorer crops differ (window ratio 1.2 vs 1.1).
        var r = src.Batches(FpQuant.Onnx.OnnxModelFile.Load(_models.Path(NetworkKind.Refine)), "r").First();
        var sc = src.Batches(FpQuant.Onnx.OnnxModelFile.Load(_models.Path(NetworkKind.Score)), "s").First();
        Assert.NotEqual(r["A"].Data, sc["A"].Data);
    }

    [Fact]
    public void SceneCalibration_WithTheFloatRefiner_UsesThePosesAFirstFrameVisits()
    {
        var s = Demo.Value;
        string refiner = _models.Path(NetworkKind.Refine);
        var src = new SceneInputSource(s, 4, 4, null, refiner, 1, new RuntimeSettings { IntraOpThreads = 2 });
        Assert.Contains("float first frame", src.Description);
        var scoreModel = FpQuant.Onnx.OnnxModelFile.Load(_models.Path(NetworkKind.Score));
        var batch = src.Batches(scoreModel, "s").Single();
        // The same poses by hand: one refine iteration of the float refiner over the starting poses.
        var poses = src.Poses();
        using var pm = new CropPairSession(refiner, new RuntimeSettings { IntraOpThreads = 2 });
        var crops = new SceneCropSource(s);
        var b = crops.Crops(poses, 0, 4, 0);
        var outs = pm.Run(b.Rendered, b.Observed);
        PoseUpdate.ApplyAll(poses, outs[0].Value, outs[1].Value, 0, s.Diameter);
        var expected = crops.Crops(poses, 0, 4, -1);
        Assert.Equal(expected.Rendered.Data, batch["A"].Data);
        Assert.Equal(expected.Observed.Data, batch["B"].Data);
        // RefineNet calibrates on the poses before its iteration.
        var refineBatch = src.Batches(FpQuant.Onnx.OnnxModelFile.Load(refiner), "r").Single();
        Assert.Equal(b.Rendered.Data, refineBatch["A"].Data);
    }

    [Fact]
    public void ACheckpointGivenToRegister_IsUsedUnchanged()
    {
        // One checkpoint per network, as FoundationPose ships them; register's model resolution must reproduce the
        // outputs PyTorch computed with those exact weights.
        using var tmp = new TempDir();
        string weights =
            $"refine={TestPaths.Golden("checkpoints", "refinenet_compact.pth")},score={TestPaths.Golden("checkpoints", "scorenet_compact.pth")}";
        var (rp, sp, text) = FpQuant.Variants.BenchModelStore.ResolvePair(Array.Empty<string>(), weights, tmp.Path,
            new RuntimeSettings { IntraOpThreads = 2 }, fr => new SceneInputSource(Demo.Value, 2, 2, null, fr));
        Assert.Contains("refinenet_compact.pth", text);
        var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(TestPaths.Golden("checkpoints",
            "manifest.json"))).RootElement;
        foreach (var (path, file, prefix) in new[] { (rp, "refinenet_compact.pth", "refine"),
            (sp, "scorenet_compact.pth", "score") })
        {
            using var m = new CropPairSession(path, new RuntimeSettings { IntraOpThreads = 2 });
            var outs = m.Run(Golden.Load($"{prefix}.A"), Golden.Load($"{prefix}.B"));
            var expected = manifest.GetProperty(file).GetProperty("expected");
            foreach (var (name, value) in outs)
                Golden.AssertClose(new FloatTensor(value.Shape,
                    expected.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray()), value,
                        $"{file}:{name}");
        }
        var e = Assert.Throws<FpQuantException>(() => WeightSource.ForNetwork(NetworkKind.Score, "refine=a.pth"));
        Assert.Contains("score=", e.Message);
    }
}
