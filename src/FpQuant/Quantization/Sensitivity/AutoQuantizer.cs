using FpQuant.Core;

namespace FpQuant.Quantization.Sensitivity;

public sealed record AutoQuantResult(
    QuantizationOptions Options,
    List<string> FloatLayers,
    OutputFidelity Fidelity,
    bool WithinBudget,
    double LatencySeconds,
    double FloatLatencySeconds,
    double FullyQuantizedLatencySeconds,
    List<string> Log);

/// <summary>
/// The fastest configuration within a fidelity budget, by a greedy search on measured sensitivity: start fully
/// quantized; while the budget fails, return the most sensitive remaining layer (lowest SQNR when quantized alone)
/// to float; then try to re-quantize the float layers one by one, least sensitive first, keeping each that the
/// budget tolerates. Quantizing a layer never makes these networks slower (int8 is faster per layer here), so fewer
/// float layers means faster; the latencies reported are measured, not modelled.
/// </summary>
public static class AutoQuantizer
{
    public static AutoQuantResult Search(SensitivityAnalysis sa, SensitivityReport sensitivity, FidelityBudget budget, IProgress<string>? progress = null)
    {
        var log = new List<string>();
        var order = sensitivity.Layers.OrderBy(l => l.OnlyThisQuantized.SqnrDb).Select(l => l.Layer).ToList();
        var baseOptions = sensitivity.Options;
        var floatLayers = new List<string>();
        QuantizationOptions With(IEnumerable<string> f) =>
            baseOptions with { Exclude = baseOptions.Exclude.Concat(f.SelectMany(l => new[] { l, l + "/*" })).ToList() };

        var fidelity = sa.Evaluate(sa.Build(With(floatLayers)));
        log.Add($"all quantized: {fidelity}");
        foreach (var layer in order)
        {
            if (budget.Holds(fidelity, sa.Kind)) break;
            floatLayers.Add(layer);
            fidelity = sa.Evaluate(sa.Build(With(floatLayers)));
            log.Add($"float {layer}: {fidelity}");
            progress?.Report($"float {floatLayers.Count} layer(s)");
        }
        // Pruning pass: give back to int8 any float layer the budget does not need.
        foreach (var layer in floatLayers.AsEnumerable().Reverse().ToList())
        {
            if (!budget.Holds(fidelity, sa.Kind)) break;
            var trial = floatLayers.Where(l => l != layer).ToList();
            var f = sa.Evaluate(sa.Build(With(trial)));
            if (budget.Holds(f, sa.Kind))
            {
                floatLayers = trial;
                fidelity = f;
                log.Add($"re-quantized {layer}: {f}");
            }
        }
        var chosen = With(floatLayers);
        progress?.Report("measuring latency");
        double latency = sa.MeasureLatency(sa.Build(chosen));
        double full = sa.MeasureLatency(sa.Build(baseOptions));
        double fp = sa.MeasureLatency(sa.FloatModel);
        bool ok = budget.Holds(fidelity, sa.Kind);
        log.Add(ok ? $"chosen: {floatLayers.Count} float layer(s), {fidelity}" : $"no configuration meets the budget; best effort keeps {floatLayers.Count} layer(s) float");
        return new AutoQuantResult(chosen, floatLayers, fidelity, ok, latency, fp, full, log);
    }
}
