using System.Text.Json;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Pipeline;
using FpQuant.Tests.Support;
using FpQuant.Training;

namespace FpQuant.Tests.Training;

[Trait("Category", "Heavy")]
public class CropSetTests
{
    private static CropSetSummary Write(string dir, CropSetOptions o, CancellationToken cancel = default) =>
        new CropSetWriter(o, dir).Run(cancel);

    private static Pose PoseAt(double[] m, int i)
    {
        int o = 16 * i;
        return new Pose(new Mat3(m[o], m[o + 1], m[o + 2], m[o + 4], m[o + 5], m[o + 6], m[o + 8], m[o + 9], m[o + 10]),
            new Vec3(m[o + 3], m[o + 7], m[o + 11]));
    }

    private static double[] ReadPoses(string path)
    {
        Assert.Equal(NpyElementType.Float64, NpyFile.ReadHeader(path).ElementType);
        return ReadFloat64(path);
    }

    /// <summary>
    /// The file's float64 values as written (NpyFile reads float32; poses are checked at full precision).
    /// </summary>
    private static double[] ReadFloat64(string path)
    {
        var h = NpyFile.ReadHeader(path);
        var bytes = File.ReadAllBytes(path).AsSpan((int)h.DataOffset);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes).ToArray();
    }

    private static double Diameter(string dir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, CropSetWriter.ManifestFile)))
            .RootElement.GetProperty("diameter").GetDouble();

    [Theory]
    [InlineData("demo")]
    [InlineData("random")]
    public void Targets_MoveEachHypothesisOntoTheTruth(string scene)
    {
        using var t = new TempDir();
        // 20 degrees is beyond the always-reachable 19.9, so some draws are refused and redrawn.
        var s = Write(t.Path,
            new CropSetOptions { Scene = scene, Count = 12, ShardSize = 5, MaxRotationDeg = 30,
                MaxTranslationFraction = 0.2, Seed = 7, Threads = 2 });
        Assert.Equal((12L, 3, false), (s.RefinePairs, s.Shards, s.Stopped));
        double d = Diameter(t.Path);
        int checkedPairs = 0;
        double largest = 0;
        foreach (var shard in new[] { "refine-00000", "refine-00001", "refine-00002" })
        {
            var target = NpyFile.ReadFloat32(t.File(shard + ".target.npy"));
            var hyp = ReadPoses(t.File(shard + ".hyp.npy"));
            var truth = ReadPoses(t.File(shard + ".true.npy"));
            for (int i = 0; i < target.Length / 6; i++)
            {
                var h = PoseAt(hyp, i);
                var want = PoseAt(truth, i);
                largest = Math.Max(largest, Mat3.AngleDegrees(h.R, want.R));
                var moved = PoseUpdate.Apply(h, new Vec3(target[6 * i], target[6 * i + 1], target[6 * i + 2]),
                    new Vec3(target[6 * i + 3], target[6 * i + 4], target[6 * i + 5]), d);
                var (a, b) = (PoseFile.Rows(moved).SelectMany(r => r).ToArray(),
                    PoseFile.Rows(want).SelectMany(r => r).ToArray());
                for (int k = 0; k < 16; k++)
                    Assert.True(Math.Abs(a[k] - b[k]) < 1e-4, $"{shard} pair {i} element {k}: {a[k]} vs {b[k]}");
                // The hypothesis really was away from the truth, so the round trip tests something.
                Assert.True(Mat3.AngleDegrees(h.R, want.R) > 0.01 || (h.T - want.T).Norm > 1e-4);
                checkedPairs++;
            }
        }
        Assert.Equal(12, checkedPairs);
        Assert.InRange(largest, 5, RefineTarget.NeverReachableDegrees);
    }

    /// <summary>
    /// A BOP-format dataset as the scene: its first selected instance, with the dataset's ground truth.
    /// </summary>
    [Fact]
    public void BopDataset_GivesItsFirstInstance_AndItsGroundTruth()
    {
        using var t = new TempDir();
        string ds = t.File("ds");
        FpQuant.Datasets.SyntheticBopDataset.Write(ds, 1, 3);
        var dataset = FpQuant.Datasets.BopDataset.Open(ds);
        var inst = dataset.SelectInstances(new FpQuant.Datasets.InstanceSelection { MaxInstances = 1 })[0];
        var scene = dataset.SceneOf(inst);
        string outDir = t.File("crops");
        var s = Write(outDir, new CropSetOptions { Scene = ds, Count = 4, ShardSize = 4, Seed = 1, Threads = 2 });
        Assert.Equal(4L, s.RefinePairs);
        // Every pair's truth is the dataset's pose of that instance, in the centred mesh frame the pipeline uses.
        var expected = PoseFile.Rows(scene.FromMeshFrame(scene.TruePose!.Value)).SelectMany(r => r).ToArray();
        var truth = ReadPoses(Path.Combine(outDir, "refine-00000.true.npy"));
        for (int i = 0; i < 4; i++)
        {
            var rows = PoseFile.Rows(PoseAt(truth, i)).SelectMany(r => r).ToArray();
            for (int k = 0; k < 16; k++)
                Assert.True(Math.Abs(rows[k] - expected[k]) < 1e-9,
                    $"pair {i} element {k}: {rows[k]} vs {expected[k]}");
        }
        Assert.Equal(scene.Diameter, Diameter(outDir), 6);
    }

    /// <summary>The truth's translation against the dataset's files read here: scene_gt.json's cam_t_m2c (mm) in
    /// metres, moved to the bounding-box centre models_info.json gives (min + size / 2, mm).</summary>
    [Fact]
    public void BopDataset_Truth_IsSceneGtsTranslationInMetres()
    {
        using var t = new TempDir();
        string ds = t.File("ds");
        FpQuant.Datasets.SyntheticBopDataset.Write(ds, 1, 5);
        string outDir = t.File("crops");
        Write(outDir, new CropSetOptions { Scene = ds, Count = 1, ShardSize = 1, Seed = 1, Threads = 1 });
        var truth = PoseAt(ReadPoses(Path.Combine(outDir, "refine-00000.true.npy")), 0);

        using var gtJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(ds, "test", "000001", "scene_gt.json")));
        using var infoJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(ds, "models", "models_info.json")));
        static double[] Numbers(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        // The instance taken is the one whose rotation the truth carries (the two objects' rotations differ).
        var entries = gtJson.RootElement.GetProperty("1").EnumerateArray().ToList();
        var entry = entries.Single(e =>
        {
            var r = Numbers(e.GetProperty("cam_R_m2c"));
            return Math.Abs(r[0] - truth.R.M00) + Math.Abs(r[1] - truth.R.M01) + Math.Abs(
                r[2] - truth.R.M02) + Math.Abs(r[3] - truth.R.M10)
                + Math.Abs(r[4] - truth.R.M11) + Math.Abs(r[5] - truth.R.M12) + Math.Abs(r[6] - truth.R.M20) + Math.Abs(
                    r[7] - truth.R.M21) + Math.Abs(r[8] - truth.R.M22) < 1e-9;
        });
        var tMm = Numbers(entry.GetProperty("cam_t_m2c"));
        var info = infoJson.RootElement.GetProperty(entry.GetProperty("obj_id").GetInt32()
            .ToString(System.Globalization.CultureInfo.InvariantCulture));
        double Centre(string axis) =>
            (info.GetProperty("min_" + axis).GetDouble() + info.GetProperty("size_" + axis).GetDouble() / 2) / 1000;
        var want = new Vec3(tMm[0] / 1000, tMm[1] / 1000, tMm[2] / 1000) + truth.R * new Vec3(Centre("x"), Centre("y"),
            Centre("z"));
        Assert.InRange(tMm[2], 300, 1000); // the synthetic objects stand 0.45-0.85 m away: a translation in mm
        // 1 micrometre: the PLY's float32 vertices and the JSON's rounding; metres read as millimetres are 1000 times
        // off.
        Assert.True((truth.T - want).Norm < 1e-6,
            $"crop truth translation ({truth.T.X}, {truth.T.Y}, {truth.T.Z}) m, scene_gt.json's cam_t_m2c in metres " +
            $"at the mesh centre ({want.X}, {want.Y}, {want.Z}) m");
    }

    [Fact]
    public void Shards_LoadWithTheNpyReader_InTheLayoutTheManifestGives()
    {
        using var t = new TempDir();
        Write(t.Path,
            new CropSetOptions { Kind = CropSetKind.Both, Count = 3, ShardSize = 2, Group = 4,
                CropType = NpyElementType.Float16, Threads = 2 });
        var m = JsonDocument.Parse(File.ReadAllText(t.File(CropSetWriter.ManifestFile))).RootElement;
        Assert.True(m.GetProperty("complete").GetBoolean());
        Assert.Equal(3, m.GetProperty("counts").GetProperty("refine").GetInt64());
        Assert.Equal(3, m.GetProperty("counts").GetProperty("score").GetInt64());
        var shards = m.GetProperty("shards").EnumerateArray()
            .Select(x => (x.GetProperty("name").GetString()!, x.GetProperty("samples").GetInt32())).ToList();
        Assert.Equal(new[] { ("refine-00000", 2), ("score-00000", 2), ("refine-00001", 1), ("score-00001", 1) },
            shards);
        var a = NpyFile.ReadHeader(t.File("refine-00001.A.npy"));
        Assert.Equal(NpyElementType.Float16, a.ElementType);
        Assert.Equal(new long[] { 1, 6, 160, 160 }, a.Shape);
        Assert.Equal(new long[] { 2, 4, 6, 160, 160 }, NpyFile.ReadHeader(t.File("score-00000.B.npy")).Shape);
        Assert.Equal(new long[] { 2, 6 }, NpyFile.ReadHeader(t.File("refine-00000.target.npy")).Shape);
        Assert.Equal(new long[] { 2, 4, 4, 4 }, NpyFile.ReadHeader(t.File("score-00000.hyp.npy")).Shape);
        Assert.Equal(new long[] { 2, 4, 3 }, NpyFile.ReadHeader(t.File("score-00000.error.npy")).Shape);
        // Crops hold the normalised ranges: RGB within 0..1 with the object in view, XYZ within (-2, 2).
        var crops = NpyFile.ReadFloat32(t.File("refine-00000.A.npy"), 1, 1);
        int n = 160 * 160;
        Assert.All(crops.Take(3 * n), v => Assert.InRange(v, 0f, 1f));
        Assert.All(crops.Skip(3 * n), v => Assert.InRange(v, -2f, 2f));
        Assert.True(crops.Take(3 * n).Count(v => v > 0) > n / 10, "the rendered object fills part of the window");
        // Each group's best is the hypothesis with the smallest ADD, and the errors are real distances.
        var err = NpyFile.ReadFloat32(t.File("score-00000.error.npy"));
        var best = NpyFile.ReadInt64(t.File("score-00000.best.npy"));
        for (int s = 0; s < 2; s++)
        {
            var adds = Enumerable.Range(0, 4).Select(h => err[3 * (4 * s + h) + 2]).ToList();
            Assert.Equal(adds.IndexOf(adds.Min()), best[s]);
            Assert.All(adds, v => Assert.True(v > 0));
        }
        Assert.Empty(Directory.GetFiles(t.Path, "*.tmp", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(t.Path, ".*")));
    }

    [Fact]
    public void RandomScenes_AreTheSameForASeed_WhateverTheThreads_AndDifferAcrossSeedsAndSamples()
    {
        using var t = new TempDir();
        string a = Path.Combine(t.Path, "a"), b = Path.Combine(t.Path, "b"), c = Path.Combine(t.Path, "c");
        var o = new CropSetOptions { Scene = "random", Kind = CropSetKind.Both, Count = 3, ShardSize = 2, Group = 2,
            CropType = NpyElementType.Float16, Seed = 11 };
        Write(a, o with { Threads = 1 });
        Write(b, o with { Threads = 3 });
        Write(c, o with { Seed = 12, Threads = 2 });
        var names = Directory.GetFiles(a).Select(Path.GetFileName).OrderBy(x => x).ToList();
        Assert.Equal(names, Directory.GetFiles(b).Select(Path.GetFileName).OrderBy(x => x).ToList());
        Assert.Equal(1 + 2 * 5 + 2 * 6, names.Count);
        foreach (var f in names)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f!)), File.ReadAllBytes(Path.Combine(b, f!)));
            // (.best holds an index of 0 or 1 here, which two seeds may well share.)
            if (f!.EndsWith(".npy") && !f.EndsWith(".best.npy"))
                Assert.NotEqual(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(c, f)));
        }
        // Within one run, every sample is a scene of its own: the true poses and the observed crops all differ.
        var truths = ReadFloat64(Path.Combine(a, "refine-00000.true.npy"));
        Assert.NotEqual(truths.Take(16), truths.Skip(16).Take(16));
        var obs = NpyFile.ReadFloat32(Path.Combine(a, "refine-00000.B.npy"));
        Assert.NotEqual(obs.Take(obs.Length / 2), obs.Skip(obs.Length / 2));
        var scenes = CropScenes.Open("random", 11);
        var l0 = scenes.Look(false, 0)!;
        var l1 = scenes.Look(false, 1)!;
        Assert.Equal(l0, CropScenes.Open("random", 11).Look(false, 0));
        Assert.NotEqual(l0.TableNormal, l1.TableNormal);
        Assert.NotEqual(l0.Wood, l1.Wood);
        Assert.NotEqual(l0.Light, l1.Light);
        Assert.NotEqual(l0.NoiseSeed, l1.NoiseSeed);
        Assert.NotEqual(l0.DepthNoise, l1.DepthNoise);
        Assert.NotEqual(l0, scenes.Look(true, 0));
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("random")]
    public void Crops_AreWhatThePipelineFeedsTheNetworks_ForTheSamePoses(string sceneSpec)
    {
        using var t = new TempDir();
        Write(t.Path,
            new CropSetOptions { Scene = sceneSpec, Kind = CropSetKind.Both, Count = 3, ShardSize = 3, Group = 3,
                Seed = 4, Threads = 2 });
        var scenes = CropScenes.Open(sceneSpec, 4);
        foreach (bool score in new[] { false, true })
        {
            string shard = score ? "score-00000" : "refine-00000";
            var hyp = ReadFloat64(t.File(shard + ".hyp.npy"));
            var a = NpyFile.ReadFloat32(t.File(shard + ".A.npy"));
            var b = NpyFile.ReadFloat32(t.File(shard + ".B.npy"));
            int perSample = score ? 3 : 1;
            for (int s = 0; s < 3; s++)
            {
                // The pipeline's own scene: the demo, or the sample's random scene rendered over the whole frame.
                var look = scenes.Look(score, s);
                var scene = look == null ? DemoScene.Create()
                    : Scene.Create(DemoScene.Render(scenes.Mesh, look), scenes.Mesh, "random scene");
                var poses = Enumerable.Range(0, perSample).Select(h => PoseAt(hyp, s * perSample + h)).ToList();
                var batch = new SceneCropSource(scene).Crops(poses, 0, perSample, score ? -1 : 0);
                int len = perSample * CropPair.Floats;
                Assert.Equal(batch.Rendered.Data, a.AsSpan(s * len, len).ToArray());
                Assert.Equal(batch.Observed.Data, b.AsSpan(s * len, len).ToArray());
            }
        }
    }

    [Fact]
    public void Float16Crops_AreTheFloat32CropsRoundedToHalf()
    {
        using var t = new TempDir();
        var o = new CropSetOptions { Scene = "random", Count = 2, Seed = 9, Threads = 2 };
        Write(t.File("f32"), o);
        Write(t.File("f16"), o with { CropType = NpyElementType.Float16 });
        foreach (var part in new[] { "A", "B" })
        {
            var full = NpyFile.ReadFloat32(Path.Combine(t.File("f32"), $"refine-00000.{part}.npy"));
            var half = NpyFile.ReadFloat32(Path.Combine(t.File("f16"), $"refine-00000.{part}.npy"));
            Assert.Equal(full.Select(v => (float)(Half)v), half);
            Assert.Contains(full, v => v != (float)(Half)v);
        }
    }

    [Fact]
    public void Streaming_StopsCleanly_WithOnlyFinishedShardsListed()
    {
        using var t = new TempDir();
        using var cts = new CancellationTokenSource();
        int reported = 0;
        var progress = new InlineProgress(_ => { if (Interlocked.Increment(ref reported) == 2) cts.Cancel(); });
        var s = new CropSetWriter(new CropSetOptions { Count = 0, ShardSize = 2, Threads = 2 }, t.Path, progress)
            .Run(cts.Token);
        Assert.True(s.Stopped);
        var m = JsonDocument.Parse(File.ReadAllText(t.File(CropSetWriter.ManifestFile))).RootElement;
        Assert.False(m.GetProperty("complete").GetBoolean());
        var listed = m.GetProperty("shards").EnumerateArray().Select(x => x.GetProperty("name").GetString()!).ToList();
        Assert.Equal(s.Shards, listed.Count);
        Assert.InRange(listed.Count, 2, 3);
        Assert.Equal(2 * listed.Count, m.GetProperty("counts").GetProperty("refine").GetInt64());
        // Every listed shard is whole; nothing else (no dropped shard, no temp file) is in the folder.
        var expected = listed.SelectMany(n => new[] { "A", "B", "target", "hyp", "true" }.Select(p => $"{n}.{p}.npy"))
            .Append(CropSetWriter.ManifestFile).OrderBy(x => x);
        Assert.Equal(expected, Directory.GetFiles(t.Path).Select(Path.GetFileName).OrderBy(x => x));
        foreach (var n in listed) Assert.Equal(2, NpyFile.ReadHeader(t.File(n + ".B.npy")).SampleCount);
    }

    private sealed class InlineProgress(Action<CropSetProgress> a) : IProgress<CropSetProgress>
    {
        public void Report(CropSetProgress value) => a(value);
    }

    [Fact]
    public void SceneFolders_GiveTheirTruth_OrAClearError()
    {
        using var t = new TempDir();
        string dir = t.File("scene");
        DemoScene.Save(dir);
        var scene = Scene.LoadFolder(dir);
        Assert.Equal(DemoScene.TruePose, scene.TruePose);
        Write(t.File("out"), new CropSetOptions { Scene = dir, Count = 1, Threads = 1 });
        Assert.True(File.Exists(t.File(Path.Combine("out", "refine-00000.A.npy"))));
        File.Delete(Path.Combine(dir, PoseFile.TruePoseFile));
        var e =
            Assert.Throws<FpQuantException>(() => Write(t.File("out2"), new CropSetOptions { Scene = dir, Count = 1 }));
        Assert.Contains(PoseFile.TruePoseFile, e.Message);
        Assert.Contains(dir, e.Message);
        File.WriteAllText(Path.Combine(dir, PoseFile.TruePoseFile), "1 0 0 0\n0 1 0 0\n0 0 2 0.5\n0 0 0 1\n");
        Assert.Contains("not a rotation", Assert.Throws<FpQuantException>(() => Scene.LoadFolder(dir)).Message);
    }
}
