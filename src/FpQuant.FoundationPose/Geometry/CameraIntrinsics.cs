using System.Globalization;
using System.Runtime.CompilerServices;
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

    private static readonly char[] NumberSeparators = [',', ' ', '\t', '\r', '\n', ';'];

    /// <summary>Reads "fx,fy,cx,cy", or a text file holding those four numbers or a 3x3 matrix (FoundationPose's
    /// cam_K.txt).</summary>
    /// <param name="text">"fx,fy,cx,cy" or the path of a file.</param>
    /// <exception cref="FpQuantException">The text or file does not hold 4 or 9 numbers, or a focal length is not
    /// positive.</exception>
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
        var parts = body.Split(NumberSeparators, StringSplitOptions.RemoveEmptyEntries);
        var v = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i])
                || !double.IsFinite(v[i]))
                throw new FpQuantException($"{source}: '{ErrorText.Quote(parts[i])}' is not a number; give " +
                    $"fx,fy,cx,cy or a file with a 3x3 matrix");
        CameraIntrinsics k = v.Length switch
        {
            4 => new(v[0], v[1], v[2], v[3]),
            9 => new(v[0], v[4], v[2], v[5]),
            _ =>
                throw new FpQuantException(
                    $"{source}: expected 4 numbers (fx,fy,cx,cy) or 9 (a 3x3 matrix), found {v.Length}"),
        };
        if (k.Fx <= 0 || k.Fy <= 0)
            throw new FpQuantException($"{source}: focal lengths must be positive, got fx={k.Fx}, fy={k.Fy}");
        return k;
    }

    /// <summary>The pixel that camera-frame point <paramref name="p"/> projects to (p.Z &gt; 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal (double U, double V) Project(Vec3 p) => (Fx * p.X / p.Z + Cx, Fy * p.Y / p.Z + Cy);

    /// <summary>The camera-frame point at depth <paramref name="depth"/> (along z) behind pixel (u, v); depth 1 gives
    /// the pixel's ray (x', y', 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Vec3 BackProject(double u, double v, double depth) => new(RayX(u) * depth, RayY(v) * depth, depth);

    /// <summary>x / z of the points behind pixel column <paramref name="u"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal double RayX(double u) => (u - Cx) / Fx;

    /// <summary>y / z of the points behind pixel row <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal double RayY(double v) => (v - Cy) / Fy;

    /// <summary>The same intrinsics in single precision, for per-vertex and per-pixel loops.</summary>
    internal SingleIntrinsics ToSingle() => new((float)Fx, (float)Fy, (float)Cx, (float)Cy);

    /// <summary>The 3 x 3 matrix K as text, one row a line (FoundationPose's cam_K.txt).</summary>
    public string ToMatrixText() =>
        string.Create(CultureInfo.InvariantCulture, $"{Fx:R} 0 {Cx:R}\n0 {Fy:R} {Cy:R}\n0 0 1\n");
}

/// <summary><see cref="CameraIntrinsics"/> in single precision: the projection rule for float loops (rasterizing,
/// shading), split per axis so callers keep their own 1/z.</summary>
internal readonly record struct SingleIntrinsics(float Fx, float Fy, float Cx, float Cy)
{
    /// <summary>Column of a camera-frame point with x = <paramref name="x"/>, 1/z = <paramref name="invZ"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ProjectX(float x, float invZ) => Fx * x * invZ + Cx;

    /// <summary>Row of a camera-frame point with y = <paramref name="y"/>, 1/z = <paramref name="invZ"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ProjectY(float y, float invZ) => Fy * y * invZ + Cy;

    /// <summary>Camera-frame x of the point at depth <paramref name="z"/> behind column <paramref name="u"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float BackProjectX(float u, float z) => (u - Cx) / Fx * z;

    /// <summary>Camera-frame y of the point at depth <paramref name="z"/> behind row <paramref name="v"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float BackProjectY(float v, float z) => (v - Cy) / Fy * z;
}
