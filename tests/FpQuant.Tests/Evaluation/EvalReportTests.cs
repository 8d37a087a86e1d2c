using System.Text.Json;
using FpQuant.Datasets;
using FpQuant.Evaluation;
using FpQuant.Geometry;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Evaluation;

/// <summary>
/// The summaries an eval report prints, recomputed from the per-instance errors the same report holds.
/// </summary>
[Trait("Category", "Quick")]
public class EvalReportTests
{
    private static BopInstance Instance(int imId) =>
        new(1, imId, new BopCamera(new CameraIntrinsics(600, 600, 320, 240), 1),
            new BopGroundTruth(0, 1, new Pose(Mat3.Identity, new Vec3(0, 0, 800)), null), "rgb", "depth", "mask");

    private static EvalRecord Record(int imId, double addMm, double addsMm) => new()
    {
        Variant = "fp32", SceneId = 1, ImId = imId, GtIndex = 0, ObjId = 1,
        R = new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, TMm = new double[] { 0, 0, 800 },
        AddMm = addMm, AddsMm = addsMm, MssdMm = addMm, MspdPx = 1, DiameterMm = 200, ImageWidth = 640,
        FirstFrameSeconds = 1,
    };

    /// <summary>The YCB-Video AUC from its definition, by summing the accuracy-threshold curve (the share of errors
    /// at or under t) over 0..100 mm in steps of 1 micrometre, then dividing by 100 mm; in percent.</summary>
    private static double AucByCurve(IReadOnlyList<double> errorsMm)
    {
        const int steps = 100_000;
        var sorted = errorsMm.OrderBy(e => e).ToArray();
        double area = 0;
        int below = 0;
        for (int i = 0; i < steps; i++)
        {
            double t = (i + 0.5) * 100.0 / steps;
            while (below < sorted.Length && sorted[below] <= t) below++;
            area += (double)below / sorted.Length;
        }
        return 100 * area / steps;
    }

    [Fact]
    public void ReportJson_AucsAreTheAreaUnderTheCurveTo100Mm_OfItsOwnPerInstanceErrors()
    {
        // Five instances: four estimated (one of them broken, infinitely wrong), one never estimated.
        var instances = Enumerable.Range(1, 5).Select(Instance).ToList();
        var records = new List<EvalRecord> { Record(1, 20, 10), Record(2, 60, 30), Record(3, 150, 70),
            Record(4, double.PositiveInfinity, double.PositiveInfinity) };
        var report = new EvalReport { Dataset = "synth", Split = "test", Instances = instances.Count };
        EvalRunner.Summarize(report,
            new List<EvalVariantSummary> { new() { Name = "fp32", Description = "reference" } }, records, instances);
        using var dir = new TempDir();
        EvalReportWriter.WriteAll(report, dir.Path);

        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var v = json.RootElement.GetProperty("variants")[0];
        int total = json.RootElement.GetProperty("instances").GetInt32();
        int missing = total - v.GetProperty("instances_estimated").GetInt32();
        Assert.Equal((5, 1), (total, missing));
        List<double> Errors(string key) => v.GetProperty("per_instance").EnumerateArray()
            .Select(x => x.GetProperty(key).ValueKind == JsonValueKind.Null ? double.PositiveInfinity
                : x.GetProperty(key).GetDouble())
            .Concat(Enumerable.Repeat(double.PositiveInfinity, missing)).ToList();
        double addsAuc = v.GetProperty("auc_adds").GetDouble(), addAuc = v.GetProperty("auc_add").GetDouble();
        Assert.True(Math.Abs(AucByCurve(Errors("adds_mm")) - addsAuc) < 1e-3,
            $"report's ADD-S AUC {addsAuc}, its per-instance ADD-S errors give {AucByCurve(Errors("adds_mm"))}");
        Assert.True(Math.Abs(AucByCurve(Errors("add_mm")) - addAuc) < 1e-3,
            $"report's ADD AUC {addAuc}, its per-instance ADD errors give {AucByCurve(Errors("add_mm"))}");
        // By hand: ADD-S (90 + 70 + 30 + 0 + 0) / 5 / 100 mm = 38 %; ADD (80 + 40 + 0 + 0 + 0) / 5 / 100 mm = 24 %.
        Assert.Equal(38, addsAuc, 9);
        Assert.Equal(24, addAuc, 9);
    }
}
