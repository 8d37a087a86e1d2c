namespace FpQuant.Runtime;

internal enum ExecutionProviderKind
{
    Cpu,
    Cuda,
    TensorRt,
}
