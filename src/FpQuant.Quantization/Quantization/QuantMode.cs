namespace FpQuant.Quantization;

/// <summary>What a quantization does: calibrated int8, int8 with activations quantized per run, int8 weight storage only, or float16.</summary>
public enum QuantMode { Static, Dynamic, WeightOnly, Fp16 }
