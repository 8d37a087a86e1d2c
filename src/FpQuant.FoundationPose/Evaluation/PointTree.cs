namespace FpQuant.Evaluation;

/// <summary>
/// A k-d tree over 3-D points for exact nearest-neighbour distances (ADD-S): built once per object by median splits
/// on the widest axis, stored implicitly (each index range's median position holds its split), with small leaf
/// buckets. Searches prune a subtree by the distance from the query to its cell (the sum of squared offsets to the
/// split planes crossed so far), which in 3-D visits far fewer cells than pruning by the last plane alone.
/// </summary>
internal sealed class PointTree
{
    private const int LeafSize = 8;
    private readonly float[] _xyz;    // points in tree order
    private readonly byte[] _axis;    // split axis of the node whose median is at this position
    private readonly float[] _split;  // its split coordinate
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
        _split = new float[_count];
        Build(src, idx, 0, _count);
        _xyz = new float[3 * _count];
        for (int i = 0; i < _count; i++)
            for (int c = 0; c < 3; c++) _xyz[3 * i + c] = src[3 * idx[i] + c];
    }

    private void Build(float[] p, int[] idx, int lo, int hi)
    {
        if (hi - lo <= LeafSize) return;
        int axis = 0;
        float best = -1;
        for (int a = 0; a < 3; a++)
        {
            float mn = float.MaxValue, mx = float.MinValue;
            for (int i = lo; i < hi; i++) { float v = p[3 * idx[i] + a]; mn = Math.Min(mn, v); mx = Math.Max(mx, v); }
            if (mx - mn > best) { best = mx - mn; axis = a; }
        }
        Array.Sort(idx, lo, hi - lo, Comparer<int>.Create((x, y) => p[3 * x + axis].CompareTo(p[3 * y + axis])));
        // [lo, mid) lies at or below the split, [mid, hi) at or above it.
        int mid = (lo + hi) / 2;
        _axis[mid] = (byte)axis;
        _split[mid] = p[3 * idx[mid] + axis];
        Build(p, idx, lo, mid);
        Build(p, idx, mid, hi);
    }

    /// <summary>The distance from (x, y, z) to the nearest point.</summary>
    public double Nearest(double x, double y, double z)
    {
        double best = double.MaxValue;
        Span<double> q = stackalloc double[] { x, y, z };
        Span<double> off = stackalloc double[3];
        Search(0, _count, q, off, 0, ref best);
        return Math.Sqrt(best);
    }

    private void Search(int lo, int hi, ReadOnlySpan<double> q, Span<double> off, double cellDist, ref double best)
    {
        if (hi - lo <= LeafSize)
        {
            for (int i = lo; i < hi; i++)
            {
                double dx = _xyz[3 * i] - q[0], dy = _xyz[3 * i + 1] - q[1], dz = _xyz[3 * i + 2] - q[2];
                double d = dx * dx + dy * dy + dz * dz;
                if (d < best) best = d;
            }
            return;
        }
        int mid = (lo + hi) / 2, a = _axis[mid];
        double diff = q[a] - _split[mid];
        if (diff < 0) Search(lo, mid, q, off, cellDist, ref best);
        else Search(mid, hi, q, off, cellDist, ref best);
        // The far cell is at least as far as the near cell, and across this split plane on this axis.
        double old = off[a], far = cellDist - old * old + diff * diff;
        if (far >= best) return;
        off[a] = diff;
        if (diff < 0) Search(mid, hi, q, off, far, ref best);
        else Search(lo, mid, q, off, far, ref best);
        off[a] = old;
    }
}
