using FpQuant.Core;
using ScottPlot;

namespace FpQuant.Evaluation;

/// <summary>Recall curves per variant: ADD-S against the threshold 0-100 mm (the curve the AUC integrates) and
/// MSSD against the threshold as a fraction of the diameter (0-0.5, BOP's range).</summary>
internal static class EvalCharts
{
    public static List<string> WriteAll(EvalReport r, string dir)
    {
        var files = new List<string>();
        var ok = r.Variants.Where(v => v.Records.Count > 0).ToList();
        if (ok.Count == 0) return files;
        files.Add(Save(Curves(ok, r.Instances, "ADD-S recall (YCB-Video AUC curve)", "ADD-S threshold (mm)",
            Recall.AucMaxMm, v => v.AddsMm), Path.Combine(dir, "recall-adds.png")));
        files.Add(Save(Curves(ok, r.Instances, "MSSD recall (BOP range)", "MSSD threshold (fraction of the diameter)",
            0.5, v => v.MssdMm / v.DiameterMm), Path.Combine(dir, "recall-mssd.png")));
        return files;
    }

    private static Plot Curves(List<EvalVariantSummary> variants, int instances, string title, string xLabel,
        double max, Func<EvalRecord, double> error)
    {
        var p = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < variants.Count; i++)
        {
            var v = variants[i];
            var errors = v.Records.Select(error)
                .Concat(Enumerable.Repeat(double.PositiveInfinity, Math.Max(0, instances - v.Records.Count))).ToList();
            var (t, rec) = Recall.Curve(errors, max);
            var s = p.Add.Scatter(t, rec.Select(x => 100 * x).ToArray());
            s.MarkerSize = 0;
            s.LineWidth = 2;
            s.Color = palette.GetColor(i);
            s.LegendText = v.Name;
        }
        p.Title(title);
        p.XLabel(xLabel);
        p.YLabel("instances under the threshold (%)");
        p.Axes.SetLimits(0, max, 0, 100);
        p.ShowLegend(Alignment.LowerRight);
        return p;
    }

    private static string Save(Plot p, string path)
    {
        AtomicFile.WriteAllBytes(path, p.GetImageBytes(900, 500, ImageFormat.Png));
        return path;
    }
}
