using System.Globalization;
using FpQuant.Core;
using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>A pose as text: the 4 x 4 object-in-camera matrix (metres), one row a line, numbers separated by spaces.
/// A scene folder's <see cref="TruePoseFile"/> gives the object's true pose for the mesh file's frame.</summary>
internal static class PoseFile
{
    public const string TruePoseFile = "true_pose.txt";
    private static readonly char[] NumberSeparators = [' ', '\t', '\r', '\n', ','];

    public static IEnumerable<double[]> Rows(Pose p) => new[]
    {
        new[] { p.R.M00, p.R.M01, p.R.M02, p.T.X }, new[] { p.R.M10, p.R.M11, p.R.M12, p.T.Y },
        new[] { p.R.M20, p.R.M21, p.R.M22, p.T.Z }, new[] { 0.0, 0, 0, 1 },
    };

    public static void Write(string path, Pose p) => AtomicFile.WriteAllText(path, p.ToMatrixText());

    /// <summary>
    /// Reads 16 numbers (4 x 4, last row 0 0 0 1) or 12 (the top 3 x 4); the rotation must be orthonormal.
    /// </summary>
    public static Pose Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException
            or UnauthorizedAccessException) { throw new FpQuantException($"cannot read pose file '{path}': {e.Message}",
                e); }
        var parts = text.Split(NumberSeparators, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is not (12 or 16))
            throw new FpQuantException($"pose file '{path}' has {parts.Length} numbers; give the 4x4 " +
                $"object-in-camera matrix (16 numbers, metres) row by row");
        var v = new double[parts.Length];
        for (int i = 0; i < v.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i])
                || !double.IsFinite(v[i]))
                throw new FpQuantException($"pose file '{path}': '{parts[i]}' is not a number");
        var r = new Mat3(v[0], v[1], v[2], v[4], v[5], v[6], v[8], v[9], v[10]);
        var rtr = r.T * r;
        double off =
            Math.Abs(rtr.M00 - 1) + Math.Abs(rtr.M11 - 1) + Math.Abs(rtr.M22 - 1) + Math.Abs(rtr.M01) + Math.Abs(
                rtr.M02) + Math.Abs(rtr.M12);
        double det =
            r.M00 * (r.M11 * r.M22 - r.M12 * r.M21) - r.M01 * (r.M10 * r.M22 - r.M12 * r.M20) + r.M02
                * (r.M10 * r.M21 - r.M11 * r.M20);
        if (off > 1e-4 || det < 0)
            throw new FpQuantException($"pose file '{path}': the top-left 3x3 is not a rotation (orthonormal, " +
                $"determinant +1); check the matrix and its row order");
        return new Pose(r, new Vec3(v[3], v[7], v[11]));
    }
}
