namespace FpQuant.Quantization.Sensitivity;

/// <summary>One quantizable layer (a group of nodes, or a tensor point: the Q/DQ pair of one activation tensor) and
/// what quantizing it costs.</summary>
/// <param name="Layer">The group's name; "tensor NAME" for a tensor point.</param>
/// <param name="Nodes">The quantizable nodes in it; for a tensor point, the nodes that read the tensor.</param>
/// <param name="OnlyThisQuantized">Fidelity with only this layer quantized.</param>
/// <param name="AllButThisQuantized">Fidelity with every layer but this one quantized.</param>
public sealed record LayerSensitivity(string Layer, List<string> Nodes, OutputFidelity OnlyThisQuantized,
    OutputFidelity AllButThisQuantized);
