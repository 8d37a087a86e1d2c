using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Rendering;

namespace FpQuant.Pipeline;

/// <summary>FoundationPose's registration of one object in one RGB-D frame, every stage timed.</summary>
internal static class Registration
{
    public static RegistrationResult Run(Scene scene, FirstFrameRunner runner, RegistrationSettings s,
        CancellationToken cancel = default)
    {
        var frame = new FirstFrameSettings
        {
            Hypotheses = s.Hypotheses, Iterations = s.Iterations, RefineBatch = s.RefineBatch,
            ScoreChunk = s.ScoreChunk, MaxMemoryBytes = s.MaxMemoryBytes,
            Diameter = scene.Diameter, TranslationGuess = scene.Guess.T,
        };
        var result = runner.Run(frame, new SceneCropSource(scene, s.Crops, reuseBuffers: true), cancel);
        var times = result.Times with { Setup = result.Times.Setup + scene.GuessSeconds };
        return new RegistrationResult(scene, result, times);
    }

    /// <summary>The frame with the mesh drawn at <paramref name="centredPose"/>: shaded green, half transparent,
    /// with a bright outline, written atomically as PNG.</summary>
    public static void WriteOverlay(Scene scene, Pose centredPose, string path) =>
        Png.Write(path,
            new PngImage(scene.Frame.Width, scene.Frame.Height, 3, 8,
                OverlayPixels(scene.Frame, scene.Mesh, centredPose)));

    /// <summary>
    /// The overlay's 8-bit RGB pixels: <paramref name="f"/> with <paramref name="centredMesh"/> drawn at
    /// <paramref name="centredPose"/>.
    /// </summary>
    public static ushort[] OverlayPixels(RgbdFrame f, TriMesh centredMesh, Pose centredPose)
    {
        int n = f.Width * f.Height;
        var (target, rgbPlanes, _) = MeshShader.RenderImage(centredMesh, centredPose, f.K, f.Width, f.Height);
        var outPx = new ushort[3 * n];
        for (int i = 0; i < n; i++)
        {
            int x = i % f.Width, y = i / f.Width;
            bool inside = target.Triangle[i] >= 0;
            bool edge = inside && (x == 0 || y == 0 || x == f.Width - 1 || y == f.Height - 1
                || target.Triangle[i - 1] < 0 || target.Triangle[i + 1] < 0 || target.Triangle[i - f.Width] < 0
                || target.Triangle[i + f.Width] < 0);
            for (int c = 0; c < 3; c++)
            {
                double v = f.Rgb[3 * i + c];
                if (edge) v = c == 1 ? 255 : 0;
                else if (inside)
                {
                    double shade = (rgbPlanes[i] + rgbPlanes[n + i] + rgbPlanes[2 * n + i]) / 3;
                    v = 0.5 * v + 0.5 * (c == 1 ? 255 * Math.Min(1, 0.4 + shade) : 40 * shade);
                }
                outPx[3 * i + c] = (ushort)Math.Clamp(Math.Round(v), 0, 255);
            }
        }
        return outPx;
    }
}
