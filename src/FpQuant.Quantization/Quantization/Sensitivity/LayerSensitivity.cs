namespace FpQuant.Quantization.Sensitivity;

/// <summary>One quantizable layer (a module path) and what quantizing it costs.</summary>
internal sealed record LayerSensitivity(string Layer, List<string> Nodes, OutputFidelity OnlyThisQuantized, OutputFidelity AllButThisQuantized);
