using System.Globalization;
using System.Text;

namespace FpQuant.Quantization.Bench;

/// <summary>bench-model's result: every variant of one model, measured in one run.</summary>
/// <param name="Model">The model file's name.</param>
/// <param name="Calibration">The calibration data's description.</param>
/// <param name="Evaluation">The evaluation data's description.</param>
/// <param name="EvaluationSamples">Samples fidelity was measured on.</param>
/// <param name="TimingBatch">The timed batch's inputs and shapes.</param>
/// <param name="Rounds">Alternating latency rounds.</param>
/// <param name="Provider">The execution provider.</param>
/// <param name="Vnni">Whether the CPU has AVX-512 VNNI or AVX-VNNI.</param>
/// <param name="Threads">Intra-op threads.</param>
/// <param name="Rows">One row per variant, fp32 included.</param>
/// <param name="Seconds">How long the run took.</param>
public sealed record ModelBenchReport(string Model, string Calibration, string Evaluation, int EvaluationSamples,
    string TimingBatch, int Rounds, string Provider, bool Vnni, int Threads, List<ModelBenchRow> Rows, double Seconds)
{
    /// <summary>The report as Markdown: the setup, then one table row per variant.</summary>
    /// <returns>The Markdown text.</returns>
    public string Markdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# {Model}: variants side by side");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- calibration: {Calibration}");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"- fidelity on held-out data: {Evaluation} ({EvaluationSamples} samples)");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"- latency: one batch {TimingBatch}, {Rounds} alternating rounds after warm-up, median [min-max]; " +
            $"provider {Provider}, {Threads} thread(s), VNNI {(Vnni ? "yes" : "no")}; {Seconds:F0} s");
        sb.AppendLine();
        sb.AppendLine("| variant | size MB | quantized nodes | latency ms [min-max] | speed-up | SQNR dB | cosine " +
            "min / mean | top-1 / top-5 |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in Rows)
        {
            if (r.Error != null) { sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Variant} | failed: {r.Error} |||||||"); continue; }
            var f = r.Fidelity!;
            string top = f.Metrics.TryGetValue("top1", out double t1)
                ? string.Create(CultureInfo.InvariantCulture, $"{100 * t1:F1} % / {100 * f.Metrics["top5"]:F1} %")
                : "-";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Variant} | {r.SizeMb:F1} | {r.QuantizedNodes} | {r.LatencyMs:F1} " +
                $"[{r.LatencyMinMs:F1}-{r.LatencyMaxMs:F1}] | {r.SpeedUp:F2}x | {f.SqnrDb:F1} | " +
                $"{f.Metrics["cosine"]:F4} / {f.Metrics["cosine_mean"]:F4} | {top} |"));
        }
        return sb.ToString();
    }
}
