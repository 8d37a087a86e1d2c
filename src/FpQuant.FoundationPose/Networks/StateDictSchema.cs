namespace FpQuant.Networks;

/// <summary>
/// The exact state_dict keys and shapes of FoundationPose's two networks (spec sections 2-5), in PyTorch's
/// registration order. Checkpoint mapping and the synthetic recipe both work from this list.
/// </summary>
internal static class StateDictSchema
{
    public const int Embed = 512;
    public const int Heads = 4;
    public const int Tokens = 400;

    public static IReadOnlyList<StateDictEntry> For(NetworkKind kind)
    {
        var e = new List<StateDictEntry>();
        string a = kind == NetworkKind.Refine ? "encodeA" : "encoderA";
        string ab = kind == NetworkKind.Refine ? "encodeAB" : "encoderAB";
        ConvBnRelu(e, $"{a}.0", NetworkNames.Channels, 64, 7);
        ConvBnRelu(e, $"{a}.1", 64, 128, 3);
        ResBlock(e, $"{a}.2", 128);
        ResBlock(e, $"{a}.3", 128);
        ResBlock(e, $"{ab}.0", 256);
        ResBlock(e, $"{ab}.1", 256);
        ConvBnRelu(e, $"{ab}.2", 256, 512, 3);
        ResBlock(e, $"{ab}.3", 512);
        ResBlock(e, $"{ab}.4", 512);
        if (kind == NetworkKind.Refine)
        {
            e.Add(new("pos_embed.pe", new[] { 1, Tokens, Embed }, false));
            foreach (var head in new[] { "trans_head", "rot_head" })
            {
                TransformerLayer(e, $"{head}.0");
                Linear(e, $"{head}.1", Embed, 3);
            }
        }
        else
        {
            // ScoreNetMultiPair registers att, att_cross and pos_embed after the encoders, then linear.
            Mha(e, "att");
            Mha(e, "att_cross");
            e.Add(new("pos_embed.pe", new[] { 1, Tokens, Embed }, false));
            Linear(e, "linear", Embed, 1);
        }
        return e;
    }

    public static string EncoderA(NetworkKind kind) => kind == NetworkKind.Refine ? "encodeA" : "encoderA";
    public static string EncoderAB(NetworkKind kind) => kind == NetworkKind.Refine ? "encodeAB" : "encoderAB";

    public static long ParameterCount(NetworkKind kind) => For(kind).Where(x => x.IsParameter).Sum(x => x.Elements);

    private static void ConvBnRelu(List<StateDictEntry> e, string p, int cin, int cout, int k)
    {
        e.Add(new($"{p}.net.0.weight", new[] { cout, cin, k, k }, true));
        e.Add(new($"{p}.net.0.bias", new[] { cout }, true));
        BatchNorm(e, $"{p}.net.1", cout);
    }

    private static void ResBlock(List<StateDictEntry> e, string p, int c)
    {
        e.Add(new($"{p}.conv1.weight", new[] { c, c, 3, 3 }, true));
        e.Add(new($"{p}.conv1.bias", new[] { c }, true));
        BatchNorm(e, $"{p}.bn1", c);
        e.Add(new($"{p}.conv2.weight", new[] { c, c, 3, 3 }, true));
        e.Add(new($"{p}.conv2.bias", new[] { c }, true));
        BatchNorm(e, $"{p}.bn2", c);
    }

    private static void BatchNorm(List<StateDictEntry> e, string p, int c)
    {
        e.Add(new($"{p}.weight", new[] { c }, true));
        e.Add(new($"{p}.bias", new[] { c }, true));
        e.Add(new($"{p}.running_mean", new[] { c }, false));
        e.Add(new($"{p}.running_var", new[] { c }, false));
        e.Add(new($"{p}.num_batches_tracked", Array.Empty<int>(), false));
    }

    private static void Mha(List<StateDictEntry> e, string p)
    {
        e.Add(new($"{p}.in_proj_weight", new[] { 3 * Embed, Embed }, true));
        e.Add(new($"{p}.in_proj_bias", new[] { 3 * Embed }, true));
        e.Add(new($"{p}.out_proj.weight", new[] { Embed, Embed }, true));
        e.Add(new($"{p}.out_proj.bias", new[] { Embed }, true));
    }

    private static void TransformerLayer(List<StateDictEntry> e, string p)
    {
        Mha(e, $"{p}.self_attn");
        Linear(e, $"{p}.linear1", Embed, Embed);
        Linear(e, $"{p}.linear2", Embed, Embed);
        e.Add(new($"{p}.norm1.weight", new[] { Embed }, true));
        e.Add(new($"{p}.norm1.bias", new[] { Embed }, true));
        e.Add(new($"{p}.norm2.weight", new[] { Embed }, true));
        e.Add(new($"{p}.norm2.bias", new[] { Embed }, true));
    }

    private static void Linear(List<StateDictEntry> e, string p, int cin, int cout)
    {
        e.Add(new($"{p}.weight", new[] { cout, cin }, true));
        e.Add(new($"{p}.bias", new[] { cout }, true));
    }
}
