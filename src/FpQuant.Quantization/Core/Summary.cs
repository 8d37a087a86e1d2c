namespace FpQuant.Core;

/// <summary>Median, min and max of repeated timings.</summary>
internal sealed record Summary(double Median, double Min, double Max, int Count)
{
    public static Summary Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return new Summary(double.NaN, double.NaN, double.NaN, 0);
        var s = values.OrderBy(v => v).ToArray();
        int n = s.Length;
        double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        return new Summary(median, s[0], s[^1], n);
    }
}
