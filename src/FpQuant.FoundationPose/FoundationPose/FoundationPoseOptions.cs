using FpQuant.Core;
using FpQuant.Pipeline;
using FpQuant.Runtime;

namespace FpQuant.FoundationPose;

/// <summary>
/// How a <see cref="FoundationPoseEstimator"/> runs: the model variant, where ONNX Runtime runs it, and how many
/// pose hypotheses and refine iterations a registration uses. Every property has FoundationPose's default.
/// </summary>
public sealed class FoundationPoseOptions
{
    /// <summary>The full hypothesis count of FoundationPose's first frame: 42 views x 6 in-plane rotations.</summary>
    public const int FoundationPoseHypotheses = PoseHypotheses.Views * PoseHypotheses.InPlane;

    /// <summary>
    /// The model variant: <c>fp32</c> (the networks as exported, or the ONNX files as given) or the name of a
    /// quantization preset (<see cref="FoundationPoseEstimator.Presets"/>), or a preset <c>.json</c> file. A preset
    /// quantizes both networks once and keeps the result in <see cref="ModelCacheFolder"/>. Default <c>fp32</c>.
    /// </summary>
    public string Variant { get; init; } = "fp32";

    /// <summary>ONNX Runtime's execution provider: CPU (the default), CUDA or TensorRT.</summary>
    public ExecutionProviderKind ExecutionProvider { get; init; } = ExecutionProviderKind.Cpu;

    /// <summary>The GPU the CUDA or TensorRT provider runs on. Default 0.</summary>
    public int DeviceId { get; init; }

    /// <summary>ONNX Runtime's intra-op threads; 0 (the default) uses one per logical processor.</summary>
    public int Threads { get; init; }

    /// <summary>Pose hypotheses a registration refines and scores. Default <see cref="FoundationPoseHypotheses"/>;
    /// fewer are faster and less thorough.</summary>
    public int Hypotheses { get; init; } = FoundationPoseHypotheses;

    /// <summary>RefineNet iterations per hypothesis in a registration. Default 5, as FoundationPose.</summary>
    public int RefineIterations { get; init; } = 5;

    /// <summary>RefineNet iterations per frame when tracking. Default 2, as FoundationPose's demo.</summary>
    public int TrackIterations { get; init; } = TrackSettings.DefaultIterations;

    /// <summary>Memory budget of the process in bytes: it picks the refine batch and the ScoreNet chunk, so a
    /// registration with many hypotheses stays within it. 0 runs ScoreNet over all hypotheses in one call.
    /// Default 1 GB.</summary>
    public long MaxMemoryBytes { get; init; } = 1_000_000_000;

    /// <summary>Folder for exported and quantized models (reused between runs: the files are keyed by their
    /// inputs). Default: <c>fpquant-models</c> in the system's temporary folder.</summary>
    public string ModelCacheFolder { get; init; } = Path.Combine(Path.GetTempPath(), "fpquant-models");

    /// <summary>Synthetic crop pairs a static preset calibrates on. Default 16.</summary>
    public int CalibrationPairs { get; init; } = 16;

    /// <summary>Throws <see cref="FpQuantException"/> naming the first property out of range.</summary>
    internal void Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok) throw new FpQuantException(what);
        }
        Check(!string.IsNullOrWhiteSpace(Variant), "Variant is empty; use fp32 or a preset name");
        Check(Enum.IsDefined(ExecutionProvider),
            $"ExecutionProvider {(int)ExecutionProvider} is not a provider; use Cpu, Cuda or TensorRt");
        Check(Threads >= 0, $"Threads must be 0 (one per logical processor) or positive, got {Threads}");
        Check(DeviceId >= 0, $"DeviceId must be 0 or positive, got {DeviceId}");
        Check(Hypotheses is >= 1 and <= FoundationPoseHypotheses,
            $"Hypotheses must be between 1 and {FoundationPoseHypotheses}, got {Hypotheses}");
        Check(RefineIterations is >= 0 and <= 100,
            $"RefineIterations must be between 0 and 100, got {RefineIterations}");
        Check(TrackIterations is >= 1 and <= 100, $"TrackIterations must be between 1 and 100, got {TrackIterations}");
        Check(MaxMemoryBytes >= 0, $"MaxMemoryBytes must be 0 (no budget) or positive, got {MaxMemoryBytes}");
        Check(CalibrationPairs >= 1, $"CalibrationPairs must be positive, got {CalibrationPairs}");
        Check(!string.IsNullOrWhiteSpace(ModelCacheFolder), "ModelCacheFolder is empty; give a writable folder");
    }

    internal RuntimeSettings Runtime()
    {
        var s = new RuntimeSettings { Provider = ExecutionProvider, DeviceId = DeviceId };
        return Threads > 0 ? s with { IntraOpThreads = Threads } : s;
    }

    internal RegistrationSettings Registration() => new()
    {
        Hypotheses = Hypotheses, Iterations = RefineIterations, MaxMemoryBytes = MaxMemoryBytes,
    };
}
