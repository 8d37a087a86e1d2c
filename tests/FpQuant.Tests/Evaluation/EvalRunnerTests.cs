using System.Globalization;
using System.Text.Json;
using FpQuant.Geometry;
using FpQuant.Benchmark;
using FpQuant.Datasets;
using FpQuant.Evaluation;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Tests.Datasets;
using FpQuant.Tests.Support;
using FpQuant.Variants;

namespace FpQuant.Tests.Evaluation;

/// <summary>
/// End to end on make-dataset's output with the real networks: 2 instances, 16 hypotheses, 1 iteration.
/// </summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class EvalRunnerTests : IClassFixture<SyntheticDatasetFixture>
{
    private readonly ExportedModels _models;
    private readonly SyntheticDatasetFixture _ds;

    public EvalRunnerTests(ExportedModels models, SyntheticDatasetFixture ds) { _models = models; _ds = ds; }

    [Fact]
    public void Eval_ScoresEveryInstance_WritesTheReports_KeepsGoingPastABrokenVariant_AndResumes()
    {
        using var tmp = new TempDir();
        string refine = _models.Path(NetworkKind.Refine), score = _models.Path(NetworkKind.Score);
        EvalSettings Settings(bool resume) => new()
        {
            Dataset = _ds.Root,
            Variants = new[]
            {
                new VariantSpec("fp32", "float32 reference", null, refine, score),
                new VariantSpec("broken", "a model file that is not there", null, tmp.File("missing-refine.onnx"),
                    score),
            },
            Registration = new RegistrationSettings { Hypotheses = 16, Iterations = 1 },
            Selection = new InstanceSelection { MaxInstances = 2 },
            OutDir = tmp.File("out"), CacheDir = tmp.File("cache"), Resume = resume,
        };
        var report = new EvalRunner(Settings(false)).Run("test");

        Assert.Equal(2, report.Instances);
        Assert.Equal(2, report.FirstFramesRun);
        Assert.True(report.AnyFailed);
        var broken = report.Variants.Single(v => v.Name == "broken");
        Assert.Contains("missing-refine.onnx", broken.Error);
        Assert.Equal(0, broken.Estimated);
        var fp32 = report.Variants.Single(v => v.Name == "fp32");
        Assert.False(fp32.Failed);
        Assert.Equal(2, fp32.Estimated);
        var d = BopDataset.Open(_ds.Root);
        var instances = d.SelectInstances(new InstanceSelection { MaxInstances = 2 });
        foreach (var (rec, inst) in fp32.Records.Zip(instances))
        {
            Assert.Equal((inst.SceneId, inst.ImId, inst.ObjId), (rec.SceneId, rec.ImId, rec.ObjId));
            // The recorded errors are the metrics of the recorded pose against the dataset's ground truth.
            var est = new Pose(new Mat3(rec.R[0], rec.R[1], rec.R[2], rec.R[3], rec.R[4], rec.R[5], rec.R[6], rec.R[7],
                rec.R[8]), new Vec3(rec.TMm[0], rec.TMm[1], rec.TMm[2]));
            var model = new EvalObjectModel(d.Models[inst.ObjId], d.EvalPointsMm(inst.ObjId));
            var e = PoseErrors.All(model, inst.Camera.K, est, inst.Gt.PoseMm);
            Assert.Equal(e.AddMm, rec.AddMm, 9);
            Assert.Equal(e.MssdMm, rec.MssdMm, 9);
            Assert.True(rec.AddsMm <= rec.AddMm + 1e-9);
            Assert.True(double.IsFinite(rec.MspdPx) && rec.MspdPx >= 0);
            Assert.True(rec.FirstFrameSeconds > 0);
            Assert.Equal(0, rec.RotationDeviationDeg!.Value, 9); // fp32 against itself
            // A real rotation.
            Assert.Equal(1,
                est.R.M00 * (est.R.M11 * est.R.M22 - est.R.M12 * est.R.M21) - est.R.M01
                    * (est.R.M10 * est.R.M22 - est.R.M12 * est.R.M20) + est.R.M02
                        * (est.R.M10 * est.R.M21 - est.R.M11 * est.R.M20), 6);
        }
        Assert.InRange(fp32.AucAdds, 0, 100);
        Assert.True(report.MeanScoringSecondsPerInstance > 0);

        // The files: markdown, JSON with per-instance fields, the BOP CSV, charts, appended results.
        string o = tmp.File("out");
        foreach (var f in new[] { "report.md", "report.json", "results.jsonl", "recall-adds.png", "recall-mssd.png",
            "fp32_synth-test.csv" })
            Assert.True(File.Exists(Path.Combine(o, f)), f);
        Assert.False(File.Exists(Path.Combine(o, "broken_synth-test.csv")));
        Assert.Contains("FAILED", File.ReadAllText(Path.Combine(o, "report.md")));
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(o, "report.json"))))
        {
            var inst0 = json.RootElement.GetProperty("variants")[0].GetProperty("per_instance")[0];
            foreach (var key in new[] { "scene_id", "im_id", "obj_id", "add_mm", "adds_mm", "mssd_mm", "mspd_px",
                "rotation_deviation_deg", "translation_deviation_mm" })
                Assert.True(inst0.TryGetProperty(key, out _), key);
        }
        var csv = File.ReadAllLines(Path.Combine(o, "fp32_synth-test.csv"));
        Assert.Equal("scene_id,im_id,obj_id,score,R,t,time", csv[0]);
        Assert.Equal(3, csv.Length);
        var cells = csv[1].Split(',');
        Assert.Equal(7, cells.Length);
        var r = cells[4].Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var t = cells[5].Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(fp32.Records[0].R, r);
        Assert.Equal(fp32.Records[0].TMm, t);
        // Both instances are in image 1 of scene 1: the image's time is their sum, on both lines.
        Assert.Equal(cells[6], csv[2].Split(',')[6]);
        Assert.Equal(fp32.Records.Sum(x => x.FirstFrameSeconds), double.Parse(cells[6], CultureInfo.InvariantCulture),
            9);

        // Resumed: nothing left to run for fp32 (the broken variant is tried again and fails again).
        var again = new EvalRunner(Settings(true)).Run("test");
        Assert.Equal(0, again.FirstFramesRun);
        Assert.Equal(2, again.FirstFramesResumed);
        var fp32Again = again.Variants.Single(v => v.Name == "fp32");
        Assert.Equal(fp32.Records.Select(x => x.TMm), fp32Again.Records.Select(x => x.TMm));
        Assert.Equal(fp32.AucAdds, fp32Again.AucAdds);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(o, "results.jsonl")).Length);
    }

    [Fact]
    public void Resume_RefusesResultsOfOtherSettings_AndDropsATornLastLine()
    {
        using var tmp = new TempDir();
        string o = tmp.File("out");
        Directory.CreateDirectory(o);
        File.WriteAllText(Path.Combine(o, EvalRunner.RunFile), "{\"settings\": \"something else\"}");
        var s = new EvalSettings
        {
            Dataset = _ds.Root,
            Variants = new[] { new VariantSpec("fp32", "x", null, _models.Path(NetworkKind.Refine),
                _models.Path(NetworkKind.Score)) },
            OutDir = o, Resume = true, Registration = new RegistrationSettings { Hypotheses = 16, Iterations = 1 },
        };
        var ex = Assert.Throws<FpQuant.Core.FpQuantException>(() => new EvalRunner(s).Run("test"));
        Assert.Contains("Resume", ex.Message);

        string results = Path.Combine(o, EvalRunner.ResultsFile);
        var rec = new EvalRecord { Variant = "fp32", SceneId = 1, ImId = 1, GtIndex = 0, ObjId = 1, R = new double[9],
            TMm = new double[3] };
        File.WriteAllText(results, JsonSerializer.Serialize(rec, EvalRunner.Json) + "\n{\"variant\": \"fp3");
        var read = EvalRunner.ReadResults(results);
        Assert.Single(read);
        Assert.Single(File.ReadAllLines(results));
    }
}
