namespace FpQuant.Evaluation;

/// <summary>
/// A k-d tree over 3-D points for nearest-neighbour distances (ADD-S): built once per object by median splits on
/// the widest axis, stored implicitly (the median of each index range is its node), queried exactly.
/// </summary>
public sealed class PointTree
{
    private readonly float[] _xyz;   // points reordered into tree order
    private readonly byte[] _axis;   // split axis of the node at each position
    private readonly int _count;

    public int Count => _count;

    public PointTree(ReadOnlySpan<float> points)
    {
        if (points.Length % 3 != 0) throw new ArgumentException("points come in threes");
        _count = points.Length / 3;
        if (_count == 0) throw new ArgumentException("a tree needs at least one point");
        var idx = Enumerable.Range(0, _count).ToArray();
        var src = points.ToArray();
        _axis = new byte[_count];
        Build(src, idx, 0, _count);
        _xyz = new float[3 * _count];
        for (int i = 0; i < _count; i++)
            for (int c = 0; c < 3; c++) _xyz[3 * i + c] = src[3 * idx[i] + c];
    }

    private void Build(float[] p, int[] idx, int lo, int hi)
    {
        if (hi - lo <= 1) return;
        int axis = 0;
        float best = -1;
        for (int a = 0; a < 3; a++)
        {
            float mn = float.MaxValue, mx = float.MinValue;
            for (int i = lo; i < hi; i++) { float v = p[3 * idx[i] + a]; mn = Math.Min(mn, v); mx = Math.Max(mx, v); }
            if (mx - mn > best) { best = mx - mn; axis = a; }
        }
        int mid = (lo + hi) / 2;
        Array.Sort(idx, lo, hi - lo, Comparer<int>.Create((x, y) => p[3 * x + axis].CompareTo(p[3 * y + axis])));
        _axis[mid] = (byte)axis;
        Build(p, idx, lo, mid);
        Build(p, idx, mid + 1, hi);
    }

    /// <summary>The distance from (x, y, z) to the nearest point.</summary>
    public double Nearest(double x, double y, double z)
    {
        double best = double.MaxValue;
        Search(0, _count, x, y, z, ref best);
        return Math.Sqrt(best);
    }

    private void Search(int lo, int hi, double x, double y, double z, ref double best)
    {
        while (hi > lo)
        {
            int mid = (lo + hi) / 2;
            double dx = _xyz[3 * mid] - x, dy = _xyz[3 * mid + 1] - y, dz = _xyz[3 * mid + 2] - z;
            double d = dx * dx + dy * dy + dz * dz;
            if (d < best) best = d;
            if (hi - lo == 1) return;
            int a = _axis[mid];
            double diff = (a == 0 ? x : a == 1 ? y : z) - _xyz[3 * mid + a];
            // The near side first, then the far side only if the splitting plane is closer than the best so far.
            if (diff < 0)
            {
                Search(lo, mid, x, y, z, ref best);
                if (diff * diff >= best) return;
                lo = mid + 1;
            }
            else
            {
                Search(mid + 1, hi, x, y, z, ref best);
                if (diff * diff >= best) return;
                hi = mid;
            }
        }
    }
}
