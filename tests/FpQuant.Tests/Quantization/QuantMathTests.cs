using FpQuant.Core;
using FpQuant.Quantization;

namespace FpQuant.Tests.Quantization;

[Trait("Category", "Quick")]
public class QuantMathTests
{
    [Fact]
    public void Ranges_MatchTheSpec()
    {
        Assert.Equal(new QRange(0, 255), QuantMath.Range(QuantType.U8, false, false));
        Assert.Equal(new QRange(-128, 127), QuantMath.Range(QuantType.S8, false, false));
        Assert.Equal(new QRange(-127, 127), QuantMath.Range(QuantType.S8, true, false));
        Assert.Equal(new QRange(0, 254), QuantMath.Range(QuantType.U8, true, false));
        Assert.Equal(new QRange(0, 127), QuantMath.Range(QuantType.U8, false, true));
        Assert.Equal(new QRange(-64, 64), QuantMath.Range(QuantType.S8, true, true));
    }

    [Fact]
    public void ZeroIsForcedIntoTheRange()
    {
        // [2, 6] becomes [0, 6]: scale 6/255, zero point 0.
        var (s, zp) = QuantMath.ScaleZeroPoint(2, 6, new QRange(0, 255), false);
        Assert.Equal((float)(6.0 / 255), s);
        Assert.Equal(0, zp);
        // [-6, -2] becomes [-6, 0]: zero point 255.
        (s, zp) = QuantMath.ScaleZeroPoint(-6, -2, new QRange(0, 255), false);
        Assert.Equal(255, zp);
        Assert.Equal(0f, QuantMath.Dequantize(QuantMath.Quantize(0f, s, zp, new QRange(0, 255)), s, zp));
    }

    [Fact]
    public void AsymmetricU8_HandComputed()
    {
        // [-1, 3]: scale 4/255 = 0.01568627; zp = round(0 - (-1)/scale) = round(63.75) = 64.
        var (s, zp) = QuantMath.ScaleZeroPoint(-1, 3, new QRange(0, 255), false);
        Assert.Equal((float)(4.0 / 255), s);
        Assert.Equal(64, zp);
    }

    [Fact]
    public void Symmetric_ZeroPoints()
    {
        var (s, zp) = QuantMath.ScaleZeroPoint(-0.5, 2, new QRange(-127, 127), true);
        Assert.Equal(0, zp);
        Assert.Equal((float)(4.0 / 254), s);
        var (s2, zp2) = QuantMath.ScaleZeroPoint(-0.5, 2, new QRange(0, 254), true);
        Assert.Equal(127, zp2);
        Assert.Equal(s, s2);
    }

    [Fact]
    public void TinyScaleGuard_GivesScaleOneZeroPointZero()
    {
        Assert.Equal((1f, 0), QuantMath.ScaleZeroPoint(0, 0, new QRange(0, 255), false));
        Assert.Equal((1f, 0), QuantMath.ScaleZeroPoint(0, 1e-39, new QRange(0, 255), false));
        Assert.Equal((1f, 0), QuantMath.ScaleZeroPoint(-1e-40, 1e-40, new QRange(-127, 127), true));
    }

    [Fact]
    public void Rounding_IsHalfToEven_AndSaturates()
    {
        var q = new QRange(-128, 127);
        Assert.Equal(2, QuantMath.Quantize(2.5f, 1f, 0, q));
        Assert.Equal(4, QuantMath.Quantize(3.5f, 1f, 0, q));
        Assert.Equal(-2, QuantMath.Quantize(-2.5f, 1f, 0, q));
        Assert.Equal(127, QuantMath.Quantize(1000f, 1f, 0, q));
        Assert.Equal(-128, QuantMath.Quantize(-1000f, 1f, 0, q));
        Assert.Equal(255, QuantMath.Quantize(300f, 1f, 10, new QRange(0, 255)));
        Assert.Equal(12, QuantMath.Quantize(2.5f, 1f, 10, new QRange(0, 255)));
    }

    [Fact]
    public void ReduceRange_UsesSevenBits()
    {
        var w = new FloatTensor(new[] { 4 }, new[] { -1f, -0.5f, 0.5f, 1f });
        var (values, p) = QuantMath.QuantizeWeight(w, QuantType.S8, true, true, null);
        Assert.Equal(1f / 64, p.Scale[0]);
        Assert.Equal(new[] { -64, -32, 32, 64 }, values);
    }

    [Fact]
    public void PerChannelScales_AlongAxis()
    {
        // 2 output channels x 2 inputs: channel 0 spans |1|, channel 1 spans |4|.
        var w = new FloatTensor(new[] { 2, 2 }, new[] { 1f, -0.5f, 4f, 2f });
        var (v0, p0) = QuantMath.QuantizeWeight(w, QuantType.S8, true, false, 0);
        Assert.Equal(new[] { 1f / 127, 4f / 127 }, p0.Scale);
        Assert.Equal(new[] { 127, -64, 127, 64 }, v0); // -0.5*127 = -63.5 -> -64 (half to even); 2/4*127 = 63.5 -> 64
        // Axis 1 (MatMul's B columns): column 0 spans |4|, column 1 spans |2|.
        var (v1, p1) = QuantMath.QuantizeWeight(w, QuantType.S8, true, false, 1);
        Assert.Equal(new[] { 4f / 127, 2f / 127 }, p1.Scale);
        Assert.Equal(new[] { 32, -32, 127, 127 }, v1); // 1/4*127 = 31.75 -> 32; -0.5/2*127 = -31.75 -> -32
    }

    [Fact]
    public void Bias_IsInt32WithProductScale()
    {
        var (values, scales) = QuantMath.QuantizeBias(new[] { 0.5f, -1f }, 0.1f, new[] { 0.02f, 0.04f });
        Assert.Equal(new[] { 0.1f * 0.02f, 0.1f * 0.04f }, scales);
        Assert.Equal(new[] { 250, -250 }, values);
    }

    [Fact]
    public void TorchSymmetricRule_UsesFullInterval()
    {
        var (s, zp) = QuantMath.TorchSymmetric(-2, 1, new QRange(-128, 127));
        Assert.Equal((float)(2 / 127.5), s);
        Assert.Equal(0, zp);
    }

    [Fact]
    public void Sqnr_HandComputed()
    {
        // ||x|| = 5, ||x - y|| = 0.5 -> 20 dB.
        Assert.Equal(20.0, QuantMath.Sqnr(new[] { 3f, 4f }, new[] { 3f, 4.5f }), 6);
        Assert.True(QuantMath.Sqnr(new[] { 1f }, new[] { 1f }) > 300);
    }
}

[Trait("Category", "Quick")]
public class PresetCatalogTests
{
    [Fact]
    public void EmbeddedAutoquantRecipe_LoadsWithItsFloatLayers_AndAutomaticReduceRange()
    {
        var o = FpQuant.Networks.FoundationPosePresets.Get("autoquant");
        Assert.Equal(FpQuant.Quantization.QuantMode.Static, o.Mode);
        Assert.Contains("att_cross", o.Exclude);
        Assert.Contains("trans_head.0.self_attn.in_proj", o.Exclude);
        Assert.Null(o.ReduceRange);
    }

    [Fact]
    public void UnknownPreset_NamesTheChoices()
    {
        var e =
            Assert.Throws<FpQuant.Core.FpQuantException>(() => FpQuant.Quantization.QuantizationPresets.Get("int3"));
        Assert.Contains("convs-int8", e.Message);
    }
}
