using FpQuant.Pipeline;
using FpQuant.Variants;

namespace FpQuant.Benchmark;

internal sealed record BenchSettings
{
    public FirstFrameSettings Frame { get; init; } = new();
    public List<VariantSpec> Variants { get; init; } = new();
    /// <summary>
    /// Untimed rounds after the cold frame; the cold frame itself already pays each session's one-time costs.
    /// </summary>
    public int Warmup { get; init; }
    public int Repeats { get; init; } = 3;
    public string Weights { get; init; } = Networks.WeightSource.DefaultSpec;
    public Runtime.RuntimeSettings Runtime { get; init; } = new();
    public bool Profile { get; init; }
    public int CalibrationPairs { get; init; } = 8;
    public ulong CropSeed { get; init; }
    /// <summary>Where crops come from: "demo" (the built-in RGB-D scene, rendered and cropped for real), a scene
    /// folder, or "synthetic" (the structured generator, no rendering).</summary>
    public string Scene { get; init; } = "demo";
    public string CacheDir { get; init; } = Path.Combine("bench-results", "model-cache");
    /// <summary>
    /// Also measure start-up from ONNX Runtime's saved optimized graph (loaded with optimizations off).
    /// </summary>
    public bool StartupCache { get; init; } = true;
}
