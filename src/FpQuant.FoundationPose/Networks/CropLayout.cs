using FpQuant.Core;

namespace FpQuant.Networks;

internal static class CropLayout
{
    /// <summary>Floats in one crop: 6 planes of 160 x 160.</summary>
    public const int PairFloats = NetworkNames.Channels * NetworkNames.CropSize * NetworkNames.CropSize;

    /// <summary>
    /// Crops of 6 x 160 x 160 (NCHW) into 160 x 160 x 6 (NHWC), <paramref name="count"/> of them, into a given buffer.
    /// </summary>
    public static void NchwToNhwc(ReadOnlySpan<float> src, Span<float> dst, int count)
    {
        const int c = NetworkNames.Channels, hw = NetworkNames.CropSize * NetworkNames.CropSize;
        for (int b = 0; b < count; b++)
        {
            var s = src.Slice(b * PairFloats, PairFloats);
            var d = dst.Slice(b * PairFloats, PairFloats);
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < hw; i++)
                    d[i * c + ch] = s[ch * hw + i];
        }
    }

    public static FloatTensor NchwToNhwc(FloatTensor x)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = new FloatTensor(n, h, w, c);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < h * w; i++)
                    y.Data[((long)b * h * w + i) * c + ch] = x.Data[((long)b * c + ch) * h * w + i];
        return y;
    }

    public static FloatTensor NhwcToNchw(FloatTensor x)
    {
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        var y = new FloatTensor(n, c, h, w);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < h * w; i++)
                    y.Data[((long)b * c + ch) * h * w + i] = x.Data[((long)b * h * w + i) * c + ch];
        return y;
    }
}
