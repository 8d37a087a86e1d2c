using System.Globalization;
using FpQuant.Core;

namespace FpQuant.Geometry;

/// <summary>Pinhole intrinsics in pixels; pixel (u, v) is the centre of column u, row v (OpenCV convention).</summary>
/// <param name="Fx">Focal length along x, in pixels.</param>
/// <param name="Fy">Focal length along y, in pixels.</param>
/// <param name="Cx">Principal point x (column), in pixels.</param>
/// <param name="Cy">Principal point y (row), in pixels.</param>
public readonly record struct CameraIntrinsics(double Fx, double Fy, double Cx, double Cy)
{
    /// <summary>"fx,fy,cx,cy", culture-invariant (what <see cref="Parse"/> reads).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Fx},{Fy},{Cx},{Cy}");

    /// <summary>Reads "fx,fy,cx,cy", or a text file holding those four numbers or a 3x3 matrix (FoundationPose's cam_K.txt).</summary>
    /// <param name="text">"fx,fy,cx,cy" or the path of a file.</param>
    /// <exception cref="FpQuantException">The text or file does not hold 4 or 9 numbers, or a focal length is not positive.</exception>
    public static CameraIntrinsics Parse(string text)
    {
        string source = $"--K '{text}'";
        string body = text;
        if (File.Exists(text))
        {
            source = $"intrinsics file '{text}'";
            try
            {
                // cam_K.txt is nine numbers; anything much longer is not one.
                long length = new FileInfo(text).Length;
                if (length > 64 * 1024)
                    throw new FpQuantException($"{source} has {length} bytes; expected fx,fy,cx,cy or a 3x3 matrix");
                body = File.ReadAllText(text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FpQuantException($"cannot read {source}: {e.Message}", e);
            }
        }
        var parts = body.Split(new[] { ',', ' ', '\t', '\r', '\n', ';' }, StringSplitOptions.RemoveEmptyEntries);
        var v = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !double.IsFinite(v[i]))
                throw new FpQuantException($"{source}: '{ErrorText.Quote(parts[i])}' is not a number; give fx,fy,cx,cy or a file with a 3x3 matrix");
        CameraIntrinsics k = v.Length switch
        {
            4 => new(v[0], v[1], v[2], v[3]),
            9 => new(v[0], v[4], v[2], v[5]),
            _ => throw new FpQuantException($"{source}: expected 4 numbers (fx,fy,cx,cy) or 9 (a 3x3 matrix), found {v.Length}"),
        };
        if (k.Fx <= 0 || k.Fy <= 0) throw new FpQuantException($"{source}: focal lengths must be positive, got fx={k.Fx}, fy={k.Fy}");
        return k;
    }

    /// <summary>The 3 x 3 matrix K as text, one row a line (FoundationPose's cam_K.txt).</summary>
    public string ToMatrixText() => string.Create(CultureInfo.InvariantCulture, $"{Fx:R} 0 {Cx:R}\n0 {Fy:R} {Cy:R}\n0 0 1\n");
}
