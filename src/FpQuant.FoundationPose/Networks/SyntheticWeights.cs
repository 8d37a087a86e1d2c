using FpQuant.Checkpoints;
using FpQuant.Core;

namespace FpQuant.Networks;

/// <summary>
/// The deterministic synthetic weight recipe of spec section 8: every state_dict key is filled from a
/// SplitMix64 stream seeded by FNV-1a of its name XOR the seed, so any key can be regenerated alone.
/// </summary>
internal static class SyntheticWeights
{
    public static StateDict Generate(NetworkKind kind, ulong seed)
    {
        var sd = new StateDict();
        foreach (var e in StateDictSchema.For(kind))
            sd.Add(e.Key, ForKey(e.Key, e.Shape, seed));
        return sd;
    }

    public static FloatTensor ForKey(string key, int[] shape, ulong seed)
    {
        var t = new FloatTensor(shape);
        var d = t.Data;
        if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) return t;
        if (key == "pos_embed.pe")
        {
            PositionalEncoding(d, shape[1], shape[2]);
            return t;
        }
        Hashing.FillUniform(key, seed, d);
        if (key.EndsWith("running_mean", StringComparison.Ordinal))
            for (int i = 0; i < d.Length; i++) d[i] = 0.1f * d[i];
        else if (key.EndsWith("running_var", StringComparison.Ordinal))
            for (int i = 0; i < d.Length; i++) d[i] = 1f + 0.25f * MathF.Abs(d[i]);
        else if (shape.Length >= 2)
        {
            long fanIn = 1;
            for (int i = 1; i < shape.Length; i++) fanIn *= shape[i];
            double g = key.EndsWith("in_proj_weight", StringComparison.Ordinal) ? 4.0 : 1.0;
            float scale = (float)(g * Math.Sqrt(3.0 / fanIn));
            for (int i = 0; i < d.Length; i++) d[i] = d[i] * scale;
        }
        else if (key.EndsWith("weight", StringComparison.Ordinal))
            for (int i = 0; i < d.Length; i++) d[i] = 1f + 0.1f * d[i];
        else if (key.EndsWith("bias", StringComparison.Ordinal))
            for (int i = 0; i < d.Length; i++) d[i] = 0.1f * d[i];
        return t;
    }

    /// <summary>pe[p, 2i] = sin(p d_i), pe[p, 2i+1] = cos(p d_i), in float32 as PyTorch computes it.</summary>
    public static void PositionalEncoding(Span<float> dst, int tokens, int dModel)
    {
        float step = (float)(-Math.Log(10000.0) / dModel);
        for (int i = 0; i < dModel / 2; i++)
        {
            float di = MathF.Exp((float)(2 * i) * step);
            for (int p = 0; p < tokens; p++)
            {
                float arg = (float)p * di;
                dst[p * dModel + 2 * i] = MathF.Sin(arg);
                dst[p * dModel + 2 * i + 1] = MathF.Cos(arg);
            }
        }
    }
}
