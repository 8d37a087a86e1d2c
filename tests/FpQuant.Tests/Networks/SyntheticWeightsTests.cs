using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Networks;

[Trait("Category", "Quick")]
public class SyntheticWeightsTests
{
    [Fact]
    public void Fnv1a64_MatchesSpecCheckValues()
    {
        Assert.Equal(0xfecaee3ebbace72fUL, Hashing.Fnv1a64("encodeA.0.net.0.weight"));
        Assert.Equal(0xcbf29ce484222325UL, Hashing.Fnv1a64(""));
        var fnv = Golden.NetworksManifest.GetProperty("fnv1a64");
        Assert.Equal(Convert.ToUInt64(fnv.GetProperty("input.A").GetString()![2..], 16), Hashing.Fnv1a64("input.A"));
    }

    [Fact]
    public void UniformStream_MatchesGoldenSpotValuesBitExactly()
    {
        var spots = Golden.NetworksManifest.GetProperty("recipe_spot");
        foreach (var key in new[] { "encodeA.0.net.0.weight", "input.A" })
        {
            var expected = spots.GetProperty(key).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            var u = new float[expected.Length];
            Hashing.FillUniform(key, 0, u);
            Assert.Equal(expected, u);
        }
    }

    [Fact]
    public void Weights_MatchSpecCheckValues()
    {
        // The spec prints these to 7-8 significant digits: each must agree to half a unit of the last printed digit.
        AssertPrinted(SyntheticWeights.ForKey("encodeA.0.net.0.weight", new[] { 64, 6, 7, 7 }, 0).Data,
            ("0.08011395", 0.08011395), ("-0.03306566", -0.03306566), ("-0.02058168", -0.02058168));
        AssertPrinted(SyntheticWeights.ForKey("encodeA.0.net.1.running_var", new[] { 64 }, 0).Data,
            ("1.0227853", 1.0227853), ("1.0060647", 1.0060647), ("1.0052992", 1.0052992));
        AssertPrinted(SyntheticWeights.ForKey("att.in_proj_weight", new[] { 1536, 512 }, 0).Data,
            ("-0.21054125", -0.21054125), ("-0.00014048943", -0.00014048943), ("0.18518651", 0.18518651));
    }

    private static void AssertPrinted(float[] actual, params (string Text, double Value)[] expected)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            var (text, value) = expected[i];
            int decimals = text.Length - text.IndexOf('.') - 1;
            double halfUnit = 0.5 * Math.Pow(10, -decimals);
            Assert.True(Math.Abs(actual[i] - value) <= halfUnit,
                $"element {i}: {actual[i]:R} does not print as {text}");
        }
    }

    [Fact]
    public void RecipeRules_ByKeyKind()
    {
        var sd = SyntheticWeights.Generate(NetworkKind.Refine, 0);
        Assert.All(sd["encodeA.0.net.1.num_batches_tracked"].Data, v => Assert.Equal(0f, v));
        Assert.All(sd["encodeA.0.net.1.weight"].Data, v => Assert.InRange(v, 0.9f, 1.1f));
        Assert.All(sd["encodeA.0.net.1.bias"].Data, v => Assert.InRange(v, -0.1f, 0.1f));
        Assert.All(sd["encodeA.0.net.1.running_mean"].Data, v => Assert.InRange(v, -0.1f, 0.1f));
        var pe = sd["pos_embed.pe"];
        Assert.Equal(new[] { 1, 400, 512 }, pe.Shape);
        // pe[p, 0] = sin(p), pe[p, 1] = cos(p) because d_0 = 1.
        Assert.Equal(MathF.Sin(3f), pe.Data[3 * 512], 6);
        Assert.Equal(MathF.Cos(3f), pe.Data[3 * 512 + 1], 6);
    }

    [Fact]
    public void ParameterAndKeyCounts_MatchPyTorch()
    {
        var p = Golden.NetworksManifest.GetProperty("params");
        Assert.Equal(16_830_406L, StateDictSchema.ParameterCount(NetworkKind.Refine));
        Assert.Equal(15_773_121L, StateDictSchema.ParameterCount(NetworkKind.Score));
        Assert.Equal(p.GetProperty("RefineNet").GetInt64(), StateDictSchema.ParameterCount(NetworkKind.Refine));
        Assert.Equal(p.GetProperty("ScoreNetMultiPair").GetInt64(), StateDictSchema.ParameterCount(NetworkKind.Score));
        Assert.Equal(134, StateDictSchema.For(NetworkKind.Refine).Count);
        Assert.Equal(116, StateDictSchema.For(NetworkKind.Score).Count);
    }

    [Fact]
    public void OtherSeed_GivesOtherWeights()
    {
        var a = SyntheticWeights.ForKey("linear.weight", new[] { 1, 512 }, 0);
        var b = SyntheticWeights.ForKey("linear.weight", new[] { 1, 512 }, 1);
        Assert.NotEqual(a.Data, b.Data);
    }
}
