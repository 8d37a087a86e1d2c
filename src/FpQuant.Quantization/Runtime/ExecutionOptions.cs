namespace FpQuant.Runtime;

/// <summary>Where and how ONNX Runtime runs the models a library call builds and measures.</summary>
public sealed record ExecutionOptions
{
    /// <summary>The execution provider; the CPU by default. CUDA and TensorRT need the GPU build of ONNX
    /// Runtime.</summary>
    public ExecutionProviderKind Provider { get; init; } = ExecutionProviderKind.Cpu;

    /// <summary>Intra-op threads; 0 lets ONNX Runtime choose (one per physical core). All cores by default.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The GPU to run on (CUDA and TensorRT).</summary>
    public int DeviceId { get; init; }

    internal RuntimeSettings ToSettings()
    {
        if (Threads < 0) throw new Core.FpQuantException($"{nameof(Threads)} must be 0 or more, got {Threads}");
        if (DeviceId < 0) throw new Core.FpQuantException($"{nameof(DeviceId)} must be 0 or more, got {DeviceId}");
        return new RuntimeSettings { Provider = Provider, IntraOpThreads = Threads, DeviceId = DeviceId };
    }
}
