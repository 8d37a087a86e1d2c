using System.Text.Json;
using FpQuant.Datasets;
using FpQuant.Geometry;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Cli;

/// <summary>A 3-frame video dataset written once for the tracking CLI tests.</summary>
public sealed class VideoDataset : IDisposable
{
    private readonly TempDir _dir = new();
    public string Root { get; }
    public const int Frames = 3;

    public VideoDataset()
    {
        Root = Path.Combine(_dir.Path, "video");
        SyntheticVideo.Write(Root, Frames, 0);
    }

    public void Dispose() => _dir.Dispose();
}

[Collection(CliCollection.Name)]
[Trait("Category", "Heavy")]
public class TrackCliTests : IClassFixture<RegisterModels>, IClassFixture<VideoDataset>
{
    private readonly RegisterModels _m;
    private readonly VideoDataset _video;
    public TrackCliTests(RegisterModels m, VideoDataset video) { _m = m; _video = video; }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    private string[] Models => new[] { "--model", _m.Refine, "--model", _m.Score, "--threads", "2" };

    [Theory]
    [InlineData(new[] { "track" }, "--sequence")]
    [InlineData(new[] { "track", "--demo", "--sequence", "x" }, "one input")]
    [InlineData(new[] { "track", "--sequence", "/nonexistent/fpquant-video" }, "/nonexistent/fpquant-video")]
    [InlineData(new[] { "track", "--demo", "--track-iterations", "0" }, "--track-iterations")]
    [InlineData(new[] { "track", "--demo", "--reregister-lost" }, "--lost-score")]
    [InlineData(new[] { "track", "--demo", "--frames", "1" }, "--frames")]
    [InlineData(new[] { "track", "--demo", "--scene", "2" }, "--scene")]
    [InlineData(new[] { "track", "--sequence", "x", "--frames", "5" }, "--max-frames")]
    [InlineData(new[] { "make-dataset", "--out", "/tmp/never-written", "--frames", "5" }, "--video")]
    [InlineData(new[] { "make-dataset", "--out", "/tmp/never-written", "--video", "--images", "5" }, "--frames")]
    [InlineData(new[] { "bench", "--track", "--track-threads", "0", "--variants", "fp32" }, "--track-threads")]
    [InlineData(new[] { "bench", "--track", "--track-rounds", "0", "--variants", "fp32" }, "--track-rounds")]
    [InlineData(new[] { "bench", "--track", "--track-frames", "100000", "--variants", "fp32" }, "--track-frames")]
    [InlineData(new[] { "track", "--demo", "--frames", "20000" }, "--frames")]
    public void BadTrackingInput_IsOneLine_Exit2(string[] args, string mention) =>
        CliHarness.AssertOneLineError(Run(args), mention);

    [Fact]
    public void MakeDatasetVideo_RefusesOneFrame()
    {
        using var dir = new TempDir();
        CliHarness.AssertOneLineError(Run("make-dataset", "--out", dir.File("v"), "--video", "--frames", "1"),
            "--frames", "2");
        Assert.False(Directory.Exists(dir.File("v")));
    }

    [Theory]
    [InlineData("--mode", "bogus", "--mode")]
    [InlineData("--max-frames", "3", "--mode track")]
    [InlineData("--track-iterations", "3", "--mode track")]
    public void EvalTrackOptions_OutsideTrackMode_AreRefused(string option, string value, string mention)
    {
        using var dir = new TempDir();
        CliHarness.AssertOneLineError(Run("eval", "--dataset", _video.Root, "--out", dir.File("o"), option, value),
            mention);
    }

    [Fact]
    public void EvalTrack_WithShard_IsRefused()
    {
        using var dir = new TempDir();
        CliHarness.AssertOneLineError(Run("eval", "--dataset", _video.Root, "--out", dir.File("o"), "--mode", "track",
            "--shard", "0/2"), "--shard");
    }

    [Fact]
    public void EvalTrack_WithResume_IsRefused()
    {
        using var dir = new TempDir();
        CliHarness.AssertOneLineError(Run("eval", "--dataset", _video.Root, "--out", dir.File("o"), "--mode", "track",
            "--resume"), "--resume");
    }

    [Fact]
    public void Track_Sequence_WritesTrackJsonExactly_TheChart_AndTheStrip()
    {
        using var dir = new TempDir();
        string outDir = dir.File("out");
        var r = Run(new[] { "track", "--sequence", _video.Root, "--object", "1", "--start-from-truth",
            "--track-iterations", "1", "--overlay", "--out", outDir }.Concat(Models).ToArray());
        Assert.True(r.Code == 0, r.Err + r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "track.json")));
        var root = doc.RootElement;
        Assert.Equal(new[] { "variant", "median_ms", "frames" }, root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("refine.onnx + score.onnx", root.GetProperty("variant").GetString());
        var frames = root.GetProperty("frames").EnumerateArray().ToList();
        Assert.Equal(VideoDataset.Frames, frames.Count);
        var seq = BopSequence.Open(BopDataset.Open(_video.Root), 1, 1);
        var tracked = new List<double>();
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            Assert.Equal(new[] { "frame", "pose", "ms", "add_mm" }, f.EnumerateObject().Select(p => p.Name));
            Assert.Equal(i + 1, f.GetProperty("frame").GetInt32());
            var pose = f.GetProperty("pose").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            Assert.Equal(16, pose.Length);
            Assert.Equal(new double[] { 0, 0, 0, 1 }, pose[12..]);
            var rot = new Mat3(pose[0], pose[1], pose[2], pose[4], pose[5], pose[6], pose[8], pose[9], pose[10]);
            Assert.True((rot * rot.T).Trace > 2.999999, "the pose's rotation is orthonormal");
            if (i == 0)
            {
                // Started from the truth: frame 1's pose is the ground truth, ADD zero, no tracking time.
                var t = seq.TruePose(0);
                Assert.Equal(new[] { t.T.X, t.T.Y, t.T.Z }, new[] { pose[3], pose[7], pose[11] });
                Assert.True(f.GetProperty("add_mm").GetDouble() < 1e-9);
                Assert.Equal(0, f.GetProperty("ms").GetDouble());
            }
            else
            {
                Assert.True(f.GetProperty("ms").GetDouble() > 0);
                tracked.Add(f.GetProperty("ms").GetDouble());
            }
        }
        tracked.Sort();
        Assert.Equal((tracked[0] + tracked[1]) / 2, root.GetProperty("median_ms").GetDouble(), 9);
        foreach (var png in new[] { "track.png", "overlay-strip.png" })
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' },
                File.ReadAllBytes(Path.Combine(outDir, png))[..4]);
        var strip = FpQuant.Images.Png.Read(Path.Combine(outDir, "overlay-strip.png"));
        Assert.Equal((3 * 320, 240), (strip.Width, strip.Height));
        Assert.Contains("tracked frames", r.Out);
    }

    [Fact]
    public void Track_WithTheLostCheck_ReportsEveryFlaggedFrame()
    {
        using var dir = new TempDir();
        string outDir = dir.File("out");
        // Every logit is below 1e9: both tracked frames are flagged, each with a warning line, and listed in
        // track.json.
        var r = Run(new[] { "track", "--sequence", _video.Root, "--start-from-truth", "--track-iterations", "1",
            "--lost-score", "1e9", "--out", outDir }.Concat(Models).ToArray());
        Assert.True(r.Code == 0, r.Err + r.Out);
        Assert.Equal(2,
            r.Err.Split('\n').Count(l => l.StartsWith("fpquant: warning: frame ") && l.Contains("track lost")));
        Assert.Contains("2 of 2 tracked frame(s) flagged lost", r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "track.json")));
        Assert.Equal(new[] { 2, 3 },
            doc.RootElement.GetProperty("lost_frames").EnumerateArray().Select(x => x.GetInt32()));
    }

    [Fact]
    public void EvalTrack_ScoresEveryFrame_AndReportsDriftLostFramesAndTime()
    {
        using var dir = new TempDir();
        string outDir = dir.File("eval");
        var r = Run("eval", "--mode", "track", "--dataset", _video.Root, "--objects", "1", "--variants",
            $"mine={_m.Refine},{_m.Score}",
            "--start-from-truth", "--track-iterations", "1", "--out", outDir, "--threads", "2");
        Assert.True(r.Code == 0, r.Err + r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "track-report.json")));
        var v = doc.RootElement.GetProperty("variants")[0];
        Assert.Equal("mine", v.GetProperty("name").GetString());
        Assert.Equal(1, v.GetProperty("sequences").GetInt32());
        Assert.Equal(VideoDataset.Frames, v.GetProperty("frames").GetInt32());
        var drift = v.GetProperty("driftAddsMm").EnumerateArray().Select(x => x.GetDouble()).ToList();
        Assert.Equal(VideoDataset.Frames, drift.Count);
        Assert.True(drift[0] < 1e-6, "the first frame starts at the truth");
        Assert.Equal(0, v.GetProperty("lostFrames").GetInt32());
        Assert.True(v.GetProperty("medianMsPerFrame").GetDouble() > 0);
        Assert.Equal(VideoDataset.Frames, File.ReadAllLines(Path.Combine(outDir, "track-frames.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(outDir, "drift.png")));
        // AUC over all frames: the first frame (error 0) counts fully, so the AUC is at least a third.
        Assert.InRange(v.GetProperty("aucAdds").GetDouble(), 100.0 / 3 - 1e-9, 100);
    }

    [Fact]
    public void BenchTrack_MeasuresEveryConfiguration_InOneRun()
    {
        using var dir = new TempDir();
        string outDir = dir.File("bench");
        // fp32 (exported into the temporary cache) and the user's files, each at 1 and 2 threads.
        var r = Run("bench", "--track", "--variant", $"mine={_m.Refine},{_m.Score}", "--cache", dir.File("cache"),
            "--track-frames", "3", "--track-rounds", "2", "--warmup", "1", "--track-threads", "1,2", "--out", outDir);
        Assert.True(r.Code == 0, r.Err + r.Out);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "track-bench.json")));
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(new[] { ("fp32", 1), ("fp32", 2), ("mine", 1), ("mine", 2) },
            rows.Select(x => (x.GetProperty("variant").GetString()!, x.GetProperty("threads").GetInt32())));
        foreach (var row in rows)
        {
            Assert.Equal(2 * 2, row.GetProperty("frames").GetInt32()); // 2 tracked frames a round, 2 rounds
            double step = row.GetProperty("stepMs").GetProperty("median").GetDouble();
            Assert.True(step >= row.GetProperty("refineMs").GetDouble() && row.GetProperty("refineMs").GetDouble() > 0);
            Assert.Equal(1000 / step, row.GetProperty("framesPerSecond").GetDouble(), 9);
            Assert.True(row.GetProperty("allocatedBytesPerFrame").GetDouble() < 1 << 20);
            Assert.True(row.GetProperty("cpuMsPerFrame").GetDouble() > 0);
        }
        Assert.Equal(1.0, rows[0].GetProperty("speedupVsFp32").GetDouble());
        Assert.Equal(1.0, rows[1].GetProperty("speedupVsFp32").GetDouble());
        Assert.True(File.Exists(Path.Combine(outDir, "track-bench.md")));
    }
}
