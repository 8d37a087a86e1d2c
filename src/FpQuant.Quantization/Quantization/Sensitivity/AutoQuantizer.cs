namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// The fastest configuration within a fidelity budget, by a greedy search on measured sensitivity: start fully
/// quantized; while the budget fails on the search group, return the most sensitive remaining layer (lowest SQNR when
/// quantized alone) to float; then try to re-quantize the float layers one by one, least sensitive first, keeping each
/// that the budget tolerates. Quantizing a layer never makes these networks slower (int8 is faster per layer here),
/// so fewer float layers means faster; the latencies reported are measured, not modelled. The chosen recipe is then
/// checked on the held-out samples, which neither calibration nor the search saw, and both results are reported: a
/// recipe that meets the budget on its search group only is a recipe fitted to that group.
/// </summary>
internal static class AutoQuantizer
{
    public static AutoQuantResult Search(SensitivityAnalysis sa, SensitivityReport sensitivity, FidelityBudget budget,
        IProgress<string>? progress = null)
    {
        var log = new List<string>();
        var keys = sa.MetricKeys.ToList();
        var order = sensitivity.Layers.OrderBy(l => l.OnlyThisQuantized.SqnrDb).Select(l => l.Layer).ToList();
        var nodesOf = sensitivity.Layers.ToDictionary(l => l.Layer, l => l.Nodes);
        var baseOptions = sensitivity.Options;
        var floatLayers = new List<string>();
        // A node group goes back to float by excluding its nodes, a tensor point by keeping its tensors float.
        QuantizationOptions With(IEnumerable<string> f) => sa.KeepFloat(baseOptions, f, nodesOf, order);

        var fidelity = sa.Evaluate(sa.Build(With(floatLayers)));
        budget.CheckApplies(fidelity, sensitivity.Model);
        foreach (var k in budget.NotApplicable(fidelity))
            log.Add($"budget key '{k}' is not measured for this model; it is ignored");
        log.Add($"all quantized: {fidelity}");
        bool Holds(OutputFidelity f) => budget.Holds(f, keys);

        foreach (var layer in order)
        {
            if (Holds(fidelity)) break;
            floatLayers.Add(layer);
            fidelity = sa.Evaluate(sa.Build(With(floatLayers)));
            log.Add($"float {layer}: {fidelity}");
            progress?.Report($"float {floatLayers.Count} layer(s)");
        }
        // Pruning pass: give back to int8 any float layer the budget does not need.
        foreach (var layer in floatLayers.AsEnumerable().Reverse().ToList())
        {
            if (!Holds(fidelity)) break;
            var trial = floatLayers.Where(l => l != layer).ToList();
            var f = sa.Evaluate(sa.Build(With(trial)));
            if (Holds(f))
            {
                floatLayers = trial;
                fidelity = f;
                log.Add($"re-quantized {layer}: {f}");
            }
        }
        bool ok = Holds(fidelity);
        log.Add(ok ? $"search group ({sa.Data.SearchSamples} samples): {floatLayers.Count} float layer(s), {fidelity}"
            : $"search group: no configuration meets the budget; best effort keeps {floatLayers.Count} layer(s) float");

        OutputFidelity? held = sa.EvaluateHeldOut(sa.Build(With(floatLayers)));
        if (held != null)
        {
            log.Add($"held-out ({sa.Data.HeldOutSamples} samples): {held} -> " +
                $"{(Holds(held) ? "within budget" : "outside the budget")}");
        }
        var chosen = With(floatLayers);
        progress?.Report("measuring latency");
        double latency = sa.MeasureLatency(sa.Build(chosen));
        double full = sa.MeasureLatency(sa.Build(baseOptions));
        double fp = sa.MeasureLatency(sa.FloatModel);
        return new AutoQuantResult(chosen, floatLayers, fidelity, ok, held, held == null ? null : Holds(held), latency,
            fp, full, log);
    }
}
