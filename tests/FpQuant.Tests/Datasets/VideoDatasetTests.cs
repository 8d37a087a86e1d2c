using FpQuant.Core;
using FpQuant.Datasets;
using FpQuant.Geometry;
using FpQuant.Rendering;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Datasets;

/// <summary>make-dataset --video and reading a video scene in frame order.</summary>
[Trait("Category", "Heavy")]
public class VideoDatasetTests
{
    [Fact]
    public void VideoScene_IsReadInFrameOrder_WhateverOrderItsJsonListsTheFrames()
    {
        using var dir = new TempDir();
        string root = dir.File("video");
        var summary = SyntheticVideo.Write(root, 4, 0);
        Assert.Equal((1, 4), (summary.Scenes, summary.Images));
        var ds = BopDataset.Open(root);
        // Rewrite the scene's three JSON files with the frames listed last to first.
        var images = ds.LoadScene(SyntheticVideo.SceneId);
        new BopWriter(root).WriteSceneJson(SyntheticVideo.SceneId, images.AsEnumerable().Reverse().ToList());
        Assert.StartsWith("{\n  \"4\":", File.ReadAllText(Path.Combine(ds.SceneDir(1), BopDataset.GtFile)));
        var seq = BopSequence.Open(BopDataset.Open(root));
        Assert.Equal(SyntheticBopDataset.BottleId, seq.ObjId); // the first object of the first frame
        Assert.Equal(new[] { 1, 2, 3, 4 }, seq.Frames.Select(f => f.ImId));
        for (int i = 0; i < 4; i++)
        {
            // The truth is the camera's motion applied to the still bottle, exactly as written (metres).
            var expected = SyntheticVideo.CameraInWorld(i, 0).Inverse * FpQuant.Pipeline.DemoScene.TruePose;
            var t = seq.TruePose(i);
            Assert.True((t.T - expected.T).Norm < 1e-12 && Mat3.AngleDegrees(t.R, expected.R) < 1e-9, $"frame {i + 1}");
        }
        var box = BopSequence.Open(BopDataset.Open(root), objId: SyntheticBopDataset.BoxId);
        Assert.Equal(4, box.Frames.Count);
        var track = seq.ToTrackSequence(maxFrames: 3);
        Assert.Equal(new[] { 1, 2, 3 }, track.FrameIds);
        Assert.True(track.HasTruth);
    }

    [Fact]
    public void VideoFrames_MoveSmoothly_TheBoxPassesInFront_AndTheNoiseIsFreshEveryFrame()
    {
        using var dir = new TempDir();
        string root = dir.File("video");
        var summary = SyntheticVideo.Write(root, 12, 0);
        var ds = BopDataset.Open(root);
        var seq = BopSequence.Open(ds);
        double maxStepMm = 0, maxStepDeg = 0;
        for (int i = 1; i < seq.Frames.Count; i++)
        {
            maxStepMm = Math.Max(maxStepMm, 1000 * (seq.TruePose(i).T - seq.TruePose(i - 1).T).Norm);
            maxStepDeg = Math.Max(maxStepDeg, Mat3.AngleDegrees(seq.TruePose(i).R, seq.TruePose(i - 1).R));
        }
        // Smooth: moving every frame, but by a few millimetres and under two degrees.
        Assert.InRange(maxStepMm, 0.5, 10);
        Assert.InRange(maxStepDeg, 0.2, 2);
        var bottleVis =
            summary.Instances.Where(x => x.ObjId == SyntheticBopDataset.BottleId).Select(x => x.VisibFract).ToList();
        Assert.Equal(1.0, bottleVis[0], 6);
        Assert.True(bottleVis.Min() < 0.8, $"the box never hides much of the bottle ({bottleVis.Min()})");
        // Fresh noise every frame: the dropouts (depth 0; the table fills the view, so only noise makes them) of two
        // frames fall on different pixels, about 0.5 % of the frame each.
        var z1 = BopDataset.LoadFrame(seq.Frames[0]).Depth.Select((d, i) => (d, i)).Where(x => x.d == 0)
            .Select(x => x.i).ToHashSet();
        var z2 = BopDataset.LoadFrame(seq.Frames[1]).Depth.Select((d, i) => (d, i)).Where(x => x.d == 0)
            .Select(x => x.i).ToHashSet();
        Assert.InRange(z1.Count, 640 * 480 / 400, 640 * 480 / 100);
        Assert.True(z1.Intersect(z2).Count() < z1.Count / 10,
            $"{z1.Intersect(z2).Count()} of {z1.Count} dropouts repeat");
    }

    [Fact]
    public void DemoSequence_GivesTheFramesMakeDatasetWrites()
    {
        using var dir = new TempDir();
        string root = dir.File("video");
        SyntheticVideo.Write(root, 3, 5);
        var ds = BopDataset.Open(root);
        var written = BopSequence.Open(ds);
        var demo = SyntheticVideo.DemoSequence(3, 5);
        for (int i = 0; i < 3; i++)
        {
            var a = written.FrameAt(i);
            var b = demo.Frame(i);
            Assert.Equal(a.Rgb, b.Rgb);
            Assert.Equal(a.Mask, b.Mask);
            for (int p = 0; p < a.Depth.Length; p++)
                Assert.True(Math.Abs(a.Depth[p] - b.Depth[p]) < 1e-6, $"frame {i + 1} pixel {p}");
            Assert.True((written.TruePose(i).T - demo.Truth[i]!.Value.T).Norm < 1e-12);
        }
        Assert.Throws<FpQuantException>(() => SyntheticVideo.DemoSequence(1));
        Assert.Throws<FpQuantException>(() => BopSequence.Open(ds, sceneId: 7));
        Assert.Throws<FpQuantException>(() => BopSequence.Open(ds, objId: 9));
    }
}
