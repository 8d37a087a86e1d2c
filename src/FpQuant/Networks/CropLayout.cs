using FpQuant.Core;

namespace FpQuant.Networks;

public static class CropLayout
{
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
