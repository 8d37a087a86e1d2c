namespace FpQuant.Core;

/// <summary>Row-major two-dimensional matrices.</summary>
internal static class Matrix2D
{
    /// <summary>The transpose of a rows x cols row-major matrix (cols x rows).</summary>
    public static float[] Transpose(float[] m, int rows, int cols)
    {
        if (m.Length != (long)rows * cols)
        {
            throw new ArgumentException($"a {rows} x {cols} matrix has {(long)rows * cols} elements, not {m.Length}",
                nameof(m));
        }
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }

    /// <summary>The transpose of a rank-2 tensor.</summary>
    public static FloatTensor Transpose(FloatTensor m)
    {
        if (m.Rank != 2) throw new ArgumentException($"a matrix has rank 2, not {m.Rank} ({m.ShapeText})", nameof(m));
        return new FloatTensor(new[] { m.Shape[1], m.Shape[0] }, Transpose(m.Data, m.Shape[0], m.Shape[1]));
    }
}
