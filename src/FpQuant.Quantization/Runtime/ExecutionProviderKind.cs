namespace FpQuant.Runtime;

/// <summary>The ONNX Runtime execution provider a model runs on.</summary>
public enum ExecutionProviderKind
{
    /// <summary>The CPU (the default build of ONNX Runtime).</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through CUDA (the GPU build of ONNX Runtime).</summary>
    Cuda,
    /// <summary>An NVIDIA GPU through TensorRT, CUDA for what TensorRT does not take (the GPU build).</summary>
    TensorRt,
}
