using FpQuant.Core;
using ScottPlot;

namespace FpQuant.Benchmark;

/// <summary>PNG charts of a bench report: latency split by stage, model size, fidelity against speed-up.</summary>
public static class Charts
{
    public static List<string> WriteAll(BenchReport r, string dir)
    {
        var ok = r.Variants.Where(v => !v.Failed && v.Refine != null).ToList();
        var files = new List<string>();
        if (ok.Count == 0) return files;
        files.Add(Save(Latency(ok), Path.Combine(dir, "latency.png")));
        files.Add(Save(Size(r.Variants.Where(v => !v.Failed).ToList()), Path.Combine(dir, "size.png")));
        if (ok.Any(v => v.Fidelity != null)) files.Add(Save(FidelityVsSpeed(ok), Path.Combine(dir, "fidelity-vs-speedup.png")));
        return files;
    }

    private static string Save(Plot p, string path)
    {
        byte[] png = p.GetImageBytes(900, 500, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, png);
        return path;
    }

    private static Tick[] Labels(IReadOnlyList<VariantResult> v) => v.Select((x, i) => new Tick(i, x.Name)).ToArray();

    private static Plot Latency(IReadOnlyList<VariantResult> v)
    {
        var p = new Plot();
        var bars = new List<Bar>();
        for (int i = 0; i < v.Count; i++)
        {
            double refine = v[i].Refine!.Median, score = v[i].Score!.Median;
            double other = Math.Max(0, v[i].WarmFrame!.Median - refine - score);
            bars.Add(new Bar { Position = i, ValueBase = 0, Value = refine, FillColor = Colors.SteelBlue });
            bars.Add(new Bar { Position = i, ValueBase = refine, Value = refine + score, FillColor = Colors.DarkOrange });
            bars.Add(new Bar { Position = i, ValueBase = refine + score, Value = refine + score + other, FillColor = Colors.Gray });
        }
        p.Add.Bars(bars);
        p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Labels(v));
        p.Axes.Bottom.TickLabelStyle.Rotation = 30;
        p.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        p.Title("Warm first frame by stage (median)");
        p.YLabel("seconds");
        p.ShowLegend(new LegendItem[]
        {
            new() { LabelText = "RefineNet", FillColor = Colors.SteelBlue },
            new() { LabelText = "ScoreNet", FillColor = Colors.DarkOrange },
            new() { LabelText = "crops, pose update", FillColor = Colors.Gray },
        });
        p.Axes.Margins(bottom: 0);
        return p;
    }

    private static Plot Size(IReadOnlyList<VariantResult> v)
    {
        var p = new Plot();
        var bars = new List<Bar>();
        for (int i = 0; i < v.Count; i++)
        {
            bars.Add(new Bar { Position = i, ValueBase = 0, Value = v[i].RefineBytes / 1e6, FillColor = Colors.SteelBlue });
            bars.Add(new Bar { Position = i, ValueBase = v[i].RefineBytes / 1e6, Value = (v[i].RefineBytes + v[i].ScoreBytes) / 1e6, FillColor = Colors.DarkOrange });
        }
        p.Add.Bars(bars);
        p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Labels(v));
        p.Axes.Bottom.TickLabelStyle.Rotation = 30;
        p.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        p.Title("Model size on disk");
        p.YLabel("MB");
        p.ShowLegend(new LegendItem[]
        {
            new() { LabelText = "refine model", FillColor = Colors.SteelBlue },
            new() { LabelText = "score model", FillColor = Colors.DarkOrange },
        });
        p.Axes.Margins(bottom: 0);
        return p;
    }

    private static Plot FidelityVsSpeed(IReadOnlyList<VariantResult> v)
    {
        var p = new Plot();
        foreach (var x in v.Where(x => x.Fidelity != null && x.SpeedupNetwork != null))
        {
            double sqnr = Math.Min(x.Fidelity!.ScoreSqnrDb, 80);
            var s = p.Add.Scatter(new[] { x.SpeedupNetwork!.Value }, new[] { sqnr });
            s.MarkerSize = 10;
            s.LegendText = x.Name;
        }
        p.Title("Fidelity against speed-up (vs the reference)");
        p.XLabel("network speed-up (x)");
        p.YLabel("score SQNR dB (capped at 80)");
        p.ShowLegend();
        return p;
    }
}
