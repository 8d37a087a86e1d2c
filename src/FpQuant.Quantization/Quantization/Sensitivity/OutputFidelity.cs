using System.Globalization;
using FpQuant.Core;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// How close a quantized model's outputs are to float on the same inputs. Generic values for any model (SQNR of all
/// outputs together, per-output SQNR and per-sample cosine, top-1/top-5 for class logits, pooled-embedding cosine for
/// text models), plus whatever a model-specific <see cref="IFidelityMetric"/> adds, all by budget key in
/// <see cref="Metrics"/>.
/// </summary>
/// <param name="SqnrDb">Signal-to-quantization-noise ratio of all outputs together, in dB.</param>
/// <param name="Samples">The samples compared.</param>
/// <param name="Outputs">Each output compared on its own.</param>
/// <param name="Metrics">Every measured value by budget key ("sqnr", "cosine", "cosine_mean", "top1", "top5", and a
/// metric's own).</param>
public sealed record OutputFidelity(double SqnrDb, int Samples, List<OutputComparison> Outputs,
    Dictionary<string, double> Metrics)
{
    /// <summary>The input name whose presence marks a text model's padding (BERT-style exports all use it).</summary>
    internal const string AttentionMaskInput = "attention_mask";

    internal static OutputFidelity Compare(IReadOnlyList<Dictionary<string, InputTensor>> inputs,
        IReadOnlyList<List<(string Name, FloatTensor Value)>> reference,
        IReadOnlyList<List<(string Name, FloatTensor Value)>> test, IFidelityMetric? metric = null)
    {
        if (reference.Count != test.Count || reference.Count != inputs.Count)
            throw new ArgumentException("fidelity needs the same batches for inputs, reference and test");
        var rAll = reference.SelectMany(b => b.SelectMany(o => o.Value.Data)).ToArray();
        var tAll = test.SelectMany(b => b.SelectMany(o => o.Value.Data)).ToArray();
        double sqnr = QuantMath.Sqnr(rAll, tAll);
        int samples = inputs.Sum(BatchSizeOf);
        var outputs = new List<OutputComparison>();
        int outputCount = reference.Count == 0 ? 0 : reference[0].Count;
        for (int j = 0; j < outputCount; j++)
            outputs.Add(CompareOutput(j, inputs, reference, test));

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["sqnr"] = sqnr };
        if (outputs.Count > 0)
        {
            metrics["cosine"] = outputs.Min(o => o.JudgedCosineMin);
            metrics["cosine_mean"] = outputs.Min(o => o.JudgedCosineMean);
        }
        if (outputs.Any(o => o.Top1 != null))
        {
            metrics["top1"] = outputs.Where(o => o.Top1 != null).Min(o => o.Top1!.Value);
            metrics["top5"] = outputs.Where(o => o.Top5 != null).Min(o => o.Top5!.Value);
        }
        metric?.Measure(inputs.Select(b => new InputBatch(b)).ToList(), reference, test, metrics);
        return new OutputFidelity(sqnr, samples, outputs, metrics);
    }

    private static int BatchSizeOf(Dictionary<string, InputTensor> batch) =>
        batch.Values.Select(t => t.Samples).DefaultIfEmpty(1).First();

    private static OutputComparison CompareOutput(int j, IReadOnlyList<Dictionary<string, InputTensor>> inputs,
        IReadOnlyList<List<(string Name, FloatTensor Value)>> reference,
        IReadOnlyList<List<(string Name, FloatTensor Value)>> test)
    {
        var cosines = new List<double>();
        var pooled = new List<double>();
        int logitsSamples = 0, top1 = 0, top5 = 0;
        bool logits = true, canPool = true;
        for (int b = 0; b < reference.Count; b++)
        {
            var r = reference[b][j].Value;
            var t = test[b][j].Value;
            int n = BatchSizeOf(inputs[b]);
            // Axis 0 is the sample when it has the batch's size; otherwise the whole output is one sample.
            int perSample = r.Rank > 0 && r.Shape[0] == n && n > 0 ? r.Data.Length / n : r.Data.Length;
            int count = perSample == 0 ? 0 : r.Data.Length / perSample;
            for (int s = 0; s < count; s++)
                cosines.Add(Cosine(r.Data.AsSpan(s * perSample, perSample), t.Data.AsSpan(s * perSample, perSample)));
            // Class logits: [N, C] with C > 1 and N the batch, of a model that is not fed an attention mask (a
            // BERT-style encoder's [N, C] output is its pooled sentence vector, judged by cosine instead).
            logits &= r.Rank == 2 && r.Shape[0] == n && r.Shape[1] > 1 && !inputs[b].ContainsKey(AttentionMaskInput);
            if (logits)
            {
                int c = r.Shape[1];
                for (int s = 0; s < n; s++)
                {
                    var rs = r.Data.AsSpan(s * c, c);
                    int tTop = ArgMax(t.Data.AsSpan(s * c, c));
                    var top = TopK(rs, 5);
                    logitsSamples++;
                    if (top[0] == tTop) top1++;
                    if (top.Contains(tTop)) top5++;
                }
            }
            // Text models: mean over the tokens the attention mask keeps, per sample.
            canPool &= r.Rank == 3 && r.Shape[0] == n && inputs[b].TryGetValue(AttentionMaskInput, out var mask)
                && mask.Shape.Length == 2 && mask.Shape[1] == r.Shape[1];
            if (canPool)
            {
                var m = MaskValues(inputs[b][AttentionMaskInput]);
                for (int s = 0; s < n; s++)
                    pooled.Add(Cosine(MaskedMean(r, m, s), MaskedMean(t, m, s)));
            }
        }
        var all = reference.SelectMany(b => b[j].Value.Data).ToArray();
        var allTest = test.SelectMany(b => b[j].Value.Data).ToArray();
        return new OutputComparison(reference[0][j].Name, QuantMath.Sqnr(all, allTest),
            cosines.DefaultIfEmpty(1).Min(), cosines.DefaultIfEmpty(1).Average(),
            logits && logitsSamples > 0 ? (double)top1 / logitsSamples : null,
            logits && logitsSamples > 0 ? (double)top5 / logitsSamples : null,
            canPool && pooled.Count > 0 ? pooled.Min() : null,
            canPool && pooled.Count > 0 ? pooled.Average() : null);
    }

    /// <summary>
    /// Mean of the hidden vectors of sample <paramref name="s"/> over the tokens whose mask is non-zero.
    /// </summary>
    internal static float[] MaskedMean(FloatTensor hidden, float[] mask, int s)
    {
        int l = hidden.Shape[1], h = hidden.Shape[2];
        var sum = new float[h];
        float weight = 0;
        for (int k = 0; k < l; k++)
        {
            float w = mask[s * l + k];
            if (w == 0) continue;
            weight += w;
            var row = hidden.Data.AsSpan((s * l + k) * h, h);
            for (int i = 0; i < h; i++) sum[i] += w * row[i];
        }
        if (weight > 0) for (int i = 0; i < h; i++) sum[i] /= weight;
        return sum;
    }

    private static float[] MaskValues(InputTensor mask) => mask.Data switch
    {
        float[] f => f,
        long[] l => l.Select(v => (float)v).ToArray(),
        int[] i => i.Select(v => (float)v).ToArray(),
        _ => throw new ArgumentException($"attention mask of {mask.TypeName}"),
    };

    /// <summary>Cosine similarity; two zero vectors are identical (1), one zero vector against another is 0.</summary>
    internal static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += (double)a[i] * b[i]; aa += (double)a[i] * a[i]; bb +=
            (double)b[i] * b[i]; }
        if (aa == 0 && bb == 0) return 1;
        if (aa == 0 || bb == 0) return 0;
        return ab / Math.Sqrt(aa * bb);
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static int[] TopK(ReadOnlySpan<float> x, int k)
    {
        var idx = Enumerable.Range(0, x.Length).ToArray();
        var copy = x.ToArray();
        Array.Sort(copy.Select(v => -v).ToArray(), idx);
        return idx.Take(Math.Min(k, idx.Length)).ToArray();
    }

    private static readonly string[] Shown = { "sqnr", "cosine", "cosine_mean", "top1", "top5" };

    /// <summary>The values in one line, e.g. "SQNR 31.2 dB, cosine min 0.9991 / mean 0.9998".</summary>
    /// <returns>The line.</returns>
    public override string ToString()
    {
        var ci = CultureInfo.InvariantCulture;
        var parts = new List<string> { string.Create(ci, $"SQNR {SqnrDb:F1} dB") };
        if (Metrics.TryGetValue("cosine", out double c))
            parts.Add(string.Create(ci, $"cosine min {c:F4} mean {Metrics["cosine_mean"]:F4}"));
        if (Metrics.TryGetValue("top1", out double t1) && Outputs.Any(o => o.Top1 != null))
            parts.Add(string.Create(ci, $"top-1 {100 * t1:F1} % top-5 {100 * Metrics["top5"]:F1} %"));
        foreach (var (k,
            v) in Metrics.Where(kv => !Shown.Contains(kv.Key)
                || (kv.Key == "top1" && !Outputs.Any(o => o.Top1 != null))))
            parts.Add($"{k} {v.ToString("0.####", ci)}");
        return string.Join(", ", parts);
    }
}
