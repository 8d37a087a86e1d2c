using FpQuant.Core;
using ScottPlot;

namespace FpQuant.Benchmark;

/// <summary>PNG charts of a bench report: latency split by stage, model size, fidelity against speed-up.</summary>
internal static class Charts
{
    public static List<string> WriteAll(BenchReport r, string dir)
    {
        var ok = r.Variants.Where(v => !v.Failed && v.Refine != null).ToList();
        var files = new List<string>();
        if (ok.Count == 0) return files;
        files.Add(Save(Latency(ok), Path.Combine(dir, "latency.png")));
        files.Add(Save(Size(r.Variants.Where(v => !v.Failed).ToList()), Path.Combine(dir, "size.png")));
        if (ok.Any(v => v.Fidelity != null))
            files.Add(Save(FidelityVsSpeed(ok), Path.Combine(dir, "fidelity-vs-speedup.png")));
        if (r.MemoryTimeline.Count > 1) files.Add(Save(MemoryOverTime(r), Path.Combine(dir, "memory.png")));
        return files;
    }

    private static string Save(Plot p, string path)
    {
        byte[] png = p.GetImageBytes(900, 500, ImageFormat.Png);
        AtomicFile.WriteAllBytes(path, png);
        return path;
    }

    private static Tick[] Labels(IReadOnlyList<VariantResult> v) => v.Select((x, i) => new Tick(i, x.Name)).ToArray();

    /// <summary>One stacked bar per variant; each segment a (label, colour, value) in stacking order.</summary>
    private static Plot StackedBars(IReadOnlyList<VariantResult> v, string title, string yLabel,
        (string Label, Color Color, Func<VariantResult, double> Value)[] segments)
    {
        var p = new Plot();
        var bars = new List<Bar>();
        for (int i = 0; i < v.Count; i++)
        {
            double bottom = 0;
            foreach (var seg in segments)
            {
                double top = bottom + seg.Value(v[i]);
                bars.Add(new Bar { Position = i, ValueBase = bottom, Value = top, FillColor = seg.Color });
                bottom = top;
            }
        }
        p.Add.Bars(bars);
        p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Labels(v));
        p.Axes.Bottom.TickLabelStyle.Rotation = 30;
        p.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        p.Axes.Bottom.MinimumSize = 110; // room for the rotated variant names
        p.Title(title);
        p.YLabel(yLabel);
        p.ShowLegend(segments.Select(seg => new LegendItem { LabelText = seg.Label, FillColor = seg.Color }).ToArray(),
            Alignment.UpperRight);
        p.Axes.Margins(bottom: 0);
        return p;
    }

    private static Plot Latency(IReadOnlyList<VariantResult> v) => StackedBars(v, "Warm first frame by stage (median)",
        "seconds", new (string, Color, Func<VariantResult, double>)[]
    {
        ("RefineNet", Colors.SteelBlue, x => x.Refine!.Median),
        ("ScoreNet", Colors.DarkOrange, x => x.Score!.Median),
        ("crops, pose update", Colors.Gray, x => Math.Max(0, x.WarmFrame!.Median - x.Refine!.Median - x.Score!.Median)),
    });

    private static Plot Size(IReadOnlyList<VariantResult> v) =>
        StackedBars(v, "Model size on disk", "MB", new (string, Color, Func<VariantResult, double>)[]
    {
        ("refine model", Colors.SteelBlue, x => x.RefineBytes / 1e6),
        ("score model", Colors.DarkOrange, x => x.ScoreBytes / 1e6),
    });

    /// <summary>The process's working set over the run, each variant's turns shaded in its own colour.</summary>
    private static Plot MemoryOverTime(BenchReport r)
    {
        var p = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var names = r.MemoryPhases.Select(x => x.Variant).Distinct().ToList();
        foreach (var ph in r.MemoryPhases)
        {
            var span = p.Add.HorizontalSpan(ph.StartSeconds, ph.EndSeconds);
            span.FillColor = palette.GetColor(names.IndexOf(ph.Variant)).WithAlpha(0.18);
            span.LineColor = Colors.Transparent;
        }
        var line = p.Add.Scatter(r.MemoryTimeline.Select(x => x.Seconds).ToArray(),
            r.MemoryTimeline.Select(x => x.Bytes / 1048576.0).ToArray());
        line.MarkerSize = 0;
        line.Color = Colors.Black;
        if (r.MaxMemoryBytes > 0)
        {
            var budget = p.Add.HorizontalLine(r.MaxMemoryBytes / 1048576.0);
            budget.Color = Colors.Red;
            budget.LinePattern = LinePattern.Dashed;
        }
        p.Title("Working set of the process over the run (shaded: each variant's turns)");
        p.XLabel("seconds");
        p.YLabel("MB");
        var legend = names.Select((n, i) =>
            new LegendItem { LabelText = n, FillColor = palette.GetColor(i).WithAlpha(0.4) }).ToList();
        if (r.MaxMemoryBytes > 0)
            legend.Add(new LegendItem { LabelText = "budget", LineColor = Colors.Red, LineWidth = 2 });
        p.ShowLegend(legend.ToArray(), Alignment.UpperLeft);
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
        p.ShowLegend(Alignment.UpperRight);
        return p;
    }
}
