using System.Globalization;
using FpQuant.FoundationPose;
using FpQuant.Geometry;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Packaging;

/// <summary>
/// README's "Register an object" as a user meets it: the two library packages packed into a folder, the sample
/// (samples/RegisterObject) copied elsewhere and built against those packages alone, then run. Slow (two packs and a
/// build from scratch), so it carries the Install trait.
/// </summary>
[Trait("Category", "Install")]
public class RegisterSampleTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);

    [Fact]
    public void TheSample_BuiltAgainstThePackedPackages_RegistersTheDemoScene()
    {
        using var tmp = new TempDir();
        var feed = new LocalFeed(tmp);
        feed.Pack("FpQuant.FoundationPose");
        feed.Pack("FpQuant.Quantization");

        // Both packages carry their XML docs beside the assembly, so IntelliSense shows them.
        Assert.Contains(feed.Nuspec("FpQuant.FoundationPose").Entries,
            e => e == "lib/net10.0/FpQuant.FoundationPose.xml");
        Assert.Contains(feed.Nuspec("FpQuant.Quantization").Entries, e => e == "lib/net10.0/FpQuant.Quantization.xml");

        // The sample, alone in a folder; its packages come from the packed folder, everything else from the packages
        // this machine already has (read as a local feed; nothing downloaded), into a fresh package cache so no
        // earlier FpQuant package is reused.
        string app = tmp.File("app");
        string dll = feed.BuildSample("RegisterObject", app);
        Assert.True(File.Exists(Path.Combine(app, "out", "FpQuant.FoundationPose.dll")));
        Assert.False(File.Exists(Path.Combine(app, "out", "fpquant.dll")), "the sample uses the library, not the tool");

        // The sample keeps its models in the system's temporary folder: this test's own, here.
        Directory.CreateDirectory(tmp.File("tmp"));
        var run = ProcessRunner.Run(ProcessRunner.Dotnet, new[] { dll }, app, Long,
            new Dictionary<string, string> { ["TMPDIR"] = tmp.File("tmp") });
        Assert.True(run.Code == 0, run.ToString());
        var printed = ParsePose(run.Out);

        // The same call in this process, through the project reference: the package gives the same pose. (With
        // synthetic weights the pose is not near the truth, so the pose itself is checked against this, not the truth;
        // FoundationPoseEstimatorTests checks the scene reaches the pipeline right.)
        var demo = SampleScene.Demo();
        var options = new FoundationPoseOptions { Hypotheses = 42, ModelCacheFolder = tmp.File("models") };
        using var estimator = FoundationPoseEstimator.FromSyntheticWeights(0, options);
        var expected = estimator.Register(demo.Frame, demo.Mask, demo.Mesh, demo.K).Pose;
        Assert.Equal(expected, printed);
        foreach (var stage in new[] { "setup", "render", "crop", "refine", "pose update", "score", "select" })
            Assert.Contains($"\n{stage}: ", "\n" + run.Out);
    }

    /// <summary>The 4 x 4 matrix printed after the sample's "pose" line.</summary>
    private static Pose ParsePose(string output)
    {
        var lines = output.Replace("\r", "").Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith("pose", StringComparison.Ordinal));
        Assert.True(at >= 0 && at + 4 < lines.Length, output);
        var v = lines.Skip(at + 1).Take(4).SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(x => double.Parse(x, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(16, v.Length);
        Assert.Equal(new[] { 0.0, 0, 0, 1 }, v[12..]);
        return new Pose(new Mat3(v[0], v[1], v[2], v[4], v[5], v[6], v[8], v[9], v[10]), new Vec3(v[3], v[7], v[11]));
    }
}
