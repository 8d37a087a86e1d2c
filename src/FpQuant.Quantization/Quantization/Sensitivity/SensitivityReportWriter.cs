using System.Globalization;
using System.Text;
using System.Text.Json;
using FpQuant.Core;
using ScottPlot;

namespace FpQuant.Quantization.Sensitivity;

internal static class SensitivityReportWriter
{
    public static void Write(SensitivityReport r, string dir)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "sensitivity.json"), JsonSerializer.Serialize(r, ReportJson.Options));
        AtomicFile.WriteAllText(Path.Combine(dir, "sensitivity.md"), Markdown(r));
        var p = new Plot();
        var layers = r.Layers;
        var bars = layers.Select((l, i) => new Bar { Position = i, Value = Math.Min(l.OnlyThisQuantized.SqnrDb, 100),
            FillColor = Colors.SteelBlue }).ToList();
        p.Add.Bars(bars);
        p.Axes.Bottom.TickGenerator =
            new ScottPlot.TickGenerators.NumericManual(layers.Select((l, i) => new Tick(i, l.Layer)).ToArray());
        p.Axes.Bottom.TickLabelStyle.Rotation = 60;
        p.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        p.Axes.Bottom.MinimumSize = 160;
        p.Title($"{r.Network}: output SQNR with only this layer quantized (most sensitive first)");
        p.YLabel("dB");
        AtomicFile.WriteAllBytes(Path.Combine(dir, "sensitivity.png"),
            p.GetImageBytes(Math.Max(900, 28 * layers.Count), 600, ImageFormat.Png));
    }

    public static IEnumerable<string[]> Rows(SensitivityReport r) => r.Layers.Select(l => new[]
    {
        l.Layer, Members(l.Nodes), l.OnlyThisQuantized.ToString(), l.AllButThisQuantized.ToString(),
    });

    /// <summary>A group's members: their count and names (the first eight).</summary>
    public static string Members(IReadOnlyList<string> nodes) =>
        $"{nodes.Count.ToString(CultureInfo.InvariantCulture)}: " +
            $"{string.Join(", ", nodes.Take(8))}{(nodes.Count > 8 ? ", ..." : "")}";

    public static string Markdown(SensitivityReport r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Sensitivity of {r.Model} ({r.Network})");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- calibration: {r.Calibration}; {r.Seconds:F0} s");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"- fully quantized, search group ({r.SearchSamples} samples): {r.FullyQuantized}");
        sb.AppendLine(r.FullyQuantizedHeldOut is OutputFidelity h
            ? string.Create(CultureInfo.InvariantCulture,
                $"- fully quantized, held-out ({r.HeldOutSamples} samples: {r.HeldOut}): {h}")
            : $"- held-out: {r.HeldOut}");
        foreach (var o in r.FullyQuantized.Outputs)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"- output {o.Output}: SQNR {o.SqnrDb:F1} dB, cosine min {o.CosineMin:F4} mean {o.CosineMean:F4}")
                + (o.PooledCosineMin is double pm
                    ? string.Create(CultureInfo.InvariantCulture,
                        $", pooled embedding cosine min {pm:F4} mean {o.PooledCosineMean:F4}") : "")
                + (o.Top1 is double t1
                    ? string.Create(CultureInfo.InvariantCulture, $", top-1 {100 * t1:F1} % top-5 {100 * o.Top5:F1} %")
                    : ""));
        sb.AppendLine();
        // A tensor point ("tensor NAME") lists the nodes that read its tensor.
        sb.AppendLine("| group | members | only this group quantized | all but this group quantized |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var row in Rows(r)) sb.AppendLine("| " + string.Join(" | ", row) + " |");
        sb.AppendLine();
        sb.AppendLine("## Per-tensor SQNR of the fully quantized model (worst first)");
        sb.AppendLine();
        sb.AppendLine("| tensor | SQNR dB |");
        sb.AppendLine("|---|---|");
        foreach (var t in r.Tensors.Take(40))
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {t.Tensor} | {t.SqnrDb:F1} |");
        sb.AppendLine();
        sb.AppendLine("![sensitivity](sensitivity.png)");
        return sb.ToString();
    }
}
