namespace FpQuant.Quantization;

/// <summary>
/// What a quantization does: calibrated int8, int8 with activations quantized per run, int8 weight storage only, or
/// float16.
/// </summary>
public enum QuantMode
{
    /// <summary>Int8 weights and activations, activation ranges calibrated on sample data.</summary>
    Static,
    /// <summary>Int8 weights, activations quantized on every run from their own range (no calibration data).</summary>
    Dynamic,
    /// <summary>Int8 weight storage, dequantized to float for float compute.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("weights-only")]
    WeightOnly,
    /// <summary>Float16 weights and compute.</summary>
    Fp16,
}
