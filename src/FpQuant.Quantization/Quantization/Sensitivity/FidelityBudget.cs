using System.Globalization;
using FpQuant.Core;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// The fidelity a quantized model must keep: limits by metric key ("cosine=0.99,top1=1"). Keys that are
/// higher-is-better are floors, the others ceilings. A key the model does not measure (top1 without a class-logit
/// output, spearman on a model that is not ScoreNet) does not apply to it; a budget of which nothing applies is
/// refused.
/// </summary>
internal sealed record FidelityBudget(IReadOnlyDictionary<string, double> Limits)
{
    /// <summary>Budget keys every model has.</summary>
    public static readonly IReadOnlyList<MetricKey> GenericKeys = new[]
    {
        new MetricKey("sqnr", true, "output SQNR against float, dB (all outputs together)"),
        new MetricKey("cosine", true, "lowest per-sample cosine over outputs (pooled embeddings for text models)"),
        new MetricKey("cosine_mean", true, "mean per-sample cosine (the lowest over outputs)"),
        new MetricKey("top1", true, "share of samples whose top class agrees (class-logit outputs)"),
        new MetricKey("top5", true,
            "share of samples whose top class is in the float model's top 5 (class-logit outputs)"),
    };

    /// <summary>A model that is none of the recognised networks, with no --budget: the output SQNR floor.</summary>
    public static readonly FidelityBudget GenericDefault = new(new Dictionary<string, double> { ["sqnr"] = 30 });

    /// <summary>Parses "key=value,...", against the generic keys and the model metric's keys.</summary>
    public static FidelityBudget Parse(string text, IEnumerable<MetricKey> extraKeys)
    {
        var keys = GenericKeys.Concat(extraKeys).Select(k => k.Name).Distinct().ToList();
        var limits = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=');
            if (kv.Length != 2
                || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
                || !double.IsFinite(v))
                throw new FpQuantException($"budget '{part}': use name=value, e.g. cosine=0.99");
            string key = kv[0].Trim().ToLowerInvariant();
            if (!keys.Contains(key))
                throw new FpQuantException($"budget '{kv[0]}': use {string.Join(", ", keys)}");
            limits[key] = v;
        }
        return new FidelityBudget(limits);
    }

    public IEnumerable<string> Applicable(OutputFidelity f) => Limits.Keys.Where(f.Metrics.ContainsKey);
    public IEnumerable<string> NotApplicable(OutputFidelity f) => Limits.Keys.Where(k => !f.Metrics.ContainsKey(k));

    /// <summary>Refuses a budget of which nothing applies to the model measured as <paramref name="f"/>.</summary>
    public void CheckApplies(OutputFidelity f, string model)
    {
        if (Limits.Count > 0 && !Applicable(f).Any())
            throw new FpQuantException($"budget {this}: none of these is measured for {model} (it has " +
                $"{string.Join(", ", f.Metrics.Keys)})");
    }

    public bool Holds(OutputFidelity f, IEnumerable<MetricKey> extraKeys)
    {
        var lowerIsBetter = extraKeys.Where(k => !k.HigherIsBetter).Select(k => k.Name).ToHashSet();
        foreach (var (key, limit) in Limits)
        {
            if (!f.Metrics.TryGetValue(key, out double v)) continue;
            if (double.IsNaN(v)) return false;
            if (lowerIsBetter.Contains(key) ? v > limit : v < limit) return false;
        }
        return true;
    }

    public override string ToString() =>
        string.Join(",", Limits.Select(kv => $"{kv.Key}={kv.Value.ToString(CultureInfo.InvariantCulture)}"));
}
