namespace FpQuant.Quantization.Sensitivity;

/// <summary>One quantizable layer (a module path) and what quantizing it costs.</summary>
/// <param name="Layer">The module path.</param>
/// <param name="Nodes">The quantizable nodes in it.</param>
/// <param name="OnlyThisQuantized">Fidelity with only this layer quantized.</param>
/// <param name="AllButThisQuantized">Fidelity with every layer but this one quantized.</param>
public sealed record LayerSensitivity(string Layer, List<string> Nodes, OutputFidelity OnlyThisQuantized,
    OutputFidelity AllButThisQuantized);
