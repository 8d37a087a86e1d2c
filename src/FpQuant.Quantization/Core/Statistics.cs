namespace FpQuant.Core;

internal static class Statistics
{
    /// <summary>Ranks 1..n, ties sharing the average of the ranks they span.</summary>
    public static double[] AverageRanks(IReadOnlyList<double> x)
    {
        var order = Enumerable.Range(0, x.Count).OrderBy(i => x[i]).ToArray();
        var ranks = new double[x.Count];
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && x[order[j + 1]] == x[order[i]]) j++;
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[order[k]] = avg;
            i = j + 1;
        }
        return ranks;
    }

    /// <summary>Spearman's rank correlation: Pearson correlation of the average ranks (correct with ties).</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("Spearman needs two lists of the same length");
        if (a.Count < 2) return 1;
        return Pearson(AverageRanks(a), AverageRanks(b));
    }

    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Count; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db; saa += da * da; sbb += db * db;
        }
        if (saa == 0 && sbb == 0) return 1; // both constant: identical rankings
        if (saa == 0 || sbb == 0) return 0;
        return sab / Math.Sqrt(saa * sbb);
    }

    public static int ArgMax(IReadOnlyList<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Count; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>The order in which variants run in repeat <paramref name="round"/>: rotated by one each round so no
    /// variant always runs first (after a cold cache) or last.</summary>
    public static int[] AlternatingOrder(int variants, int round) =>
        Enumerable.Range(0, variants).Select(i => (i + round) % variants).ToArray();
}
