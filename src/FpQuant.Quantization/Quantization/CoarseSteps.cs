using System.Globalization;

namespace FpQuant.Quantization;

/// <summary>
/// Warns, one line per tensor, where a calibrated range makes the integer step too coarse for what reads the
/// tensor. Softmax and LogSoftmax (and Exp) turn absolute differences of their input into ratios: an input step
/// of s moves a probability by a factor of up to e^(s/2), so a step above <see cref="MaxExpInputStep"/> (a tenth
/// of a logit, about 5 % on each probability) loses what the softmax computes, as with logits spanning 1e4 that
/// a [min, max] range squeezes into 256 levels 40 apart.
/// </summary>
internal static class CoarseSteps
{
    public const double MaxExpInputStep = 0.1;

    private static readonly HashSet<string> ExpLike = new(StringComparer.Ordinal) { "Softmax", "LogSoftmax", "Exp" };

    public static IEnumerable<string> Check(QuantizationPlan plan, IReadOnlyDictionary<string, QuantParams> parameters)
    {
        foreach (var (tensor, p) in parameters.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var reader = plan.Index.ConsumersOf(tensor).FirstOrDefault(n => ExpLike.Contains(n.OpType));
            if (reader == null || p.Scale.Length == 0 || !(p.Scale[0] > MaxExpInputStep)) continue;
            string node = reader.Name.Length > 0 ? $"{reader.OpType} '{reader.Name}'" : $"an unnamed {reader.OpType}";
            string keep = reader.Name.Length > 0 ? $"Exclude '{reader.Name}'" : $"OpTypes without {reader.OpType}";
            yield return string.Create(CultureInfo.InvariantCulture,
                $"tensor '{tensor}' feeds {node} with an integer step of {p.Scale[0]:G3} (more than " +
                $"{MaxExpInputStep} of a logit): its outputs may move by a factor of up to " +
                $"{Math.Exp(p.Scale[0] / 2):G3}; keep it float with {keep} or calibrate on data with a narrower range");
        }
    }
}
