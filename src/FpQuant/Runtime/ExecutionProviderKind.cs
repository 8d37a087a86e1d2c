namespace FpQuant.Runtime;

public enum ExecutionProviderKind
{
    Cpu,
    Cuda,
    TensorRt,
}
