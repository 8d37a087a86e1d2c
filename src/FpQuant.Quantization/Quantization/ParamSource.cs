namespace FpQuant.Quantization;

/// <summary>Where a quantized tensor's scale and zero point come from.</summary>
internal abstract record ParamSource;
/// <summary>The calibrated range of tensor <paramref name="Tensor"/> (itself, or a Relu output it feeds).</summary>
internal sealed record CalibratedSource(string Tensor) : ParamSource;
/// <summary>The same parameters as another quantized tensor (data movement, a removed Relu).</summary>
internal sealed record SharedSource(string Tensor) : ParamSource;
/// <summary>A constant input (an initializer) quantized with its own min and max.</summary>
internal sealed record ConstantSource(string Initializer) : ParamSource;
/// <summary>A range known without data (Softmax output is [0, 1]).</summary>
internal sealed record FixedSource(float Min, float Max) : ParamSource;
