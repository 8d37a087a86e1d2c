using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;

namespace FpQuant.Tests.Pipeline;

[Trait("Category", "Quick")]
public class SceneCropTests
{
    private static RgbdFrame Frame(int w, int h, Func<int, int, float> depth, Func<int, int, bool> mask,
        CameraIntrinsics k, Func<int, int, int, byte>? rgb = null)
    {
        var d = new float[w * h]; var m = new bool[w * h]; var c = new byte[3 * w * h];
        for (int v = 0; v < h; v++)
            for (int u = 0; u < w; u++)
            {
                d[v * w + u] = depth(u, v);
                m[v * w + u] = mask(u, v);
                for (int ch = 0; ch < 3; ch++) c[3 * (v * w + u) + ch] = rgb?.Invoke(u, v, ch) ?? 0;
            }
        return new RgbdFrame(w, h, c, d, m, k);
    }

    [Fact]
    public void TranslationGuess_MatchesAHandComputedCase()
    {
        // Mask: columns 2..5, rows 1..4 (16 pixels). Depths 0.5 + 0.01 * index, one pixel invalid (0.0005 m).
        var k = new CameraIntrinsics(100, 200, 5, 4);
        var f = Frame(10, 8, (u, v) => u == 2 && v == 1 ? 0.0005f : 0.5f + 0.01f * (v * 10 + u),
            (u, v) => u is >= 2 and <= 5 && v is >= 1 and <= 4, k);
        var g = TranslationGuess.FromFrame(f);
        // Box centre (3.5, 2.5). Valid depths: 15 values; their median is the 8th smallest.
        var valid = new List<float>();
        for (int v = 1; v <= 4; v++) for (int u = 2; u <= 5; u++) if (!(u == 2 && v == 1))
            valid.Add(0.5f + 0.01f * (v * 10 + u));
        valid.Sort();
        double z = valid[7];
        Assert.Equal((3.5, 2.5, 16, 15), (g.CenterU, g.CenterV, g.MaskPixels, g.ValidDepthPixels));
        Assert.Equal(z, g.MedianDepth, 12);
        Assert.Equal((3.5 - 5) / 100 * z, g.T.X, 12);
        Assert.Equal((2.5 - 4) / 200 * z, g.T.Y, 12);
        Assert.Equal(z, g.T.Z, 12);
        // An even count takes the mean of the two middle values, as numpy.median does.
        var even = Frame(4, 1, (u, _) => new[] { 1f, 2f, 4f, 8f }[u], (_, _) => true, k);
        Assert.Equal(3.0, TranslationGuess.FromFrame(even).MedianDepth, 12);
    }

    [Fact]
    public void EmptyMask_AndNoValidDepthInTheMask_AreClearErrors()
    {
        var k = new CameraIntrinsics(100, 100, 5, 5);
        var empty = Frame(10, 10, (_, _) => 1, (_, _) => false, k);
        var e1 = Assert.Throws<FpQuantException>(() => TranslationGuess.FromFrame(empty, "mask 'm.png'"));
        Assert.Contains("m.png", e1.Message);
        Assert.Contains("no pixels", e1.Message);
        var noDepth = Frame(10, 10, (u, _) => u < 5 ? 0 : 1, (u, _) => u < 5, k);
        var e2 = Assert.Throws<FpQuantException>(() => TranslationGuess.FromFrame(noDepth, "mask", "depth 'd.png'"));
        Assert.Contains("d.png", e2.Message);
        Assert.Contains("no valid pixel", e2.Message);
    }

    [Fact]
    public void CropWindow_MatchesAHandComputedCase()
    {
        // r = 0.2 * 1.2 / 2 = 0.12 m at 1 m: 60 px each way from (370, 240) when t = (0.1, 0, 1), fx = fy = 500.
        var k = new CameraIntrinsics(500, 500, 320, 240);
        var w = CropWindow.For(new Vec3(0.1, 0, 1), k, 0.2, 1.2, 160);
        Assert.Equal(new CropWindow(310, 180, 430, 300, 160), w);
        Assert.Equal(160.0 / 120, w.ScaleX, 12);
        var kc = w.Intrinsics(k);
        Assert.Equal(500 * 4.0 / 3, kc.Fx, 9);
        Assert.Equal((320 - 310) * 4.0 / 3, kc.Cx, 9);
        Assert.Equal((240 - 180) * 4.0 / 3, kc.Cy, 9);
        Assert.Equal(310 + 45 * 0.75, w.FrameX(45), 12);
        // Half-way cases round to even, as numpy does: centre 100.5 +- 10 -> 90.5 -> 90, 110.5 -> 110.
        var k2 = new CameraIntrinsics(100, 100, 100.5, 50.5);
        var w2 = CropWindow.For(new Vec3(0, 0, 1), k2, 0.2, 1.0, 160);
        Assert.Equal((90, 40, 110, 60), (w2.Left, w2.Top, w2.Right, w2.Bottom));
    }

    [Fact]
    public void ObservedCrop_IsBilinearForRgb_NearestForDepth_ZeroOutsideTheFrame()
    {
        // Red = column, green = row; depth = 1 + row / 100. A window 80 px wide maps crop pixel i to frame i/2 + left.
        var k = new CameraIntrinsics(100, 100, 0, 0);
        var f = Frame(200, 150, (_, v) => 1 + v / 100f, (_, _) => true, k,
            (u, v, c) => c == 0 ? (byte)u : c == 1 ? (byte)v : (byte)0);
        var xyz = ObservedCrop.FrameXyz(f);
        var w = new CropWindow(30, 40, 110, 120, 160);
        var rgb = new float[3 * 160 * 160];
        var oxyz = new float[3 * 160 * 160];
        ObservedCrop.Warp(f, xyz, w, rgb, oxyz);
        int n = 160 * 160;
        foreach (var (i, j) in new[] { (0, 0), (1, 3), (77, 101), (159, 159) })
        {
            int o = j * 160 + i;
            Assert.Equal((30 + i / 2.0) / 255, rgb[o], 5);
            Assert.Equal((40 + j / 2.0) / 255, rgb[n + o], 5);
            int row = (int)Math.Floor(40 + j / 2.0 + 0.5), col = (int)Math.Floor(30 + i / 2.0 + 0.5);
            Assert.Equal(1 + row / 100f, oxyz[2 * n + o]);
            Assert.Equal(col / 100f * (1 + row / 100f), oxyz[o], 6);
        }
        // A window hanging over the left edge: outside pixels are zero in every channel.
        var edge = new CropWindow(-40, 0, 40, 80, 160);
        ObservedCrop.Warp(f, xyz, edge, rgb, oxyz);
        Assert.Equal(0f, rgb[10]);
        Assert.Equal(0f, oxyz[2 * n + 10]);
        Assert.NotEqual(0f, oxyz[2 * n + 100]);
    }

    [Fact]
    public void Normalisation_UsesEachNetworksDepthThreshold_AndZeroesFarPoints()
    {
        // t = (0, 0, 0.1), radius 0.1. Pixel 0 at z = 0.05 (valid for the refiner, below the scorer's 0.1),
        // pixel 1 an ordinary point, pixel 2 five radii off in x. Planes: X, Y, Z.
        const int n = 3;
        float[] Make() => new float[] { 0.01f, 0.01f, 0.5f, 0.01f, 0.01f, 0.01f, 0.05f, 0.15f, 0.15f };
        var t = new Vec3(0, 0, 0.1);
        var refine = Make();
        CropNormalization.NormalizeXyz(refine, n, t, 0.2, CropNormalization.RefinerMinDepth);
        var score = Make();
        CropNormalization.NormalizeXyz(score, n, t, 0.2, CropNormalization.ScorerMinDepth);
        float[] Pixel(float[] a, int i) => new[] { a[i], a[n + i], a[2 * n + i] };
        Assert.Equal(new[] { 0.1f, 0.1f, -0.5f }, Pixel(refine, 0).Select(v => MathF.Round(v, 5)));
        Assert.Equal(new[] { 0f, 0f, 0f }, Pixel(score, 0));
        Assert.Equal(new[] { 0.1f, 0.1f, 0.5f }, Pixel(refine, 1).Select(v => MathF.Round(v, 5)));
        Assert.Equal(new[] { 0.1f, 0.1f, 0.5f }, Pixel(score, 1).Select(v => MathF.Round(v, 5)));
        Assert.Equal(new[] { 0f, 0f, 0f }, Pixel(refine, 2));
        Assert.Equal(new[] { 0f, 0f, 0f }, Pixel(score, 2));
    }
}
