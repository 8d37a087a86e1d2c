using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>The networks' input normalisation of XYZ (spec section 7): camera-frame points relative to the hypothesis
/// translation in units of half the diameter, zero where the depth is invalid or a coordinate reaches 2.</summary>
internal static class CropNormalization
{
    public const float RefinerMinDepth = 0.001f, ScorerMinDepth = 0.1f, MaxAbsCoordinate = 2f;

    /// <summary>In place on X, Y, Z planes of n pixels: subtract t, divide by diameter/2; zero a pixel whose depth is
    /// below <paramref name="minDepth"/> or whose normalised coordinates reach ±2.</summary>
    // Optimised from the first call: the first frame is what this project measures, and tiered JIT would run it slow.
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void NormalizeXyz(Span<float> xyz, int n, Vec3 t, double diameter, float minDepth)
    {
        float tx = (float)t.X, ty = (float)t.Y, tz = (float)t.Z, inv = (float)(2 / diameter);
        for (int i = 0; i < n; i++)
        {
            float z = xyz[2 * n + i];
            if (z < minDepth) { xyz[i] = 0; xyz[n + i] = 0; xyz[2 * n + i] = 0; continue; }
            float x = (xyz[i] - tx) * inv, y = (xyz[n + i] - ty) * inv, zz = (z - tz) * inv;
            if (MathF.Abs(x) >= MaxAbsCoordinate || MathF.Abs(y) >= MaxAbsCoordinate
                || MathF.Abs(zz) >= MaxAbsCoordinate) { x = 0; y = 0; zz = 0; }
            xyz[i] = x; xyz[n + i] = y; xyz[2 * n + i] = zz;
        }
    }
}
