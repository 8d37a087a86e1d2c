using System.Text.Json;
using System.Text.Json.Serialization;
using FpQuant.Core;

namespace FpQuant.Quantization;

/// <summary>
/// Named recipes. "torch-*" reproduce PyTorch's (the seed's Method 1) so users can see why they did or did not
/// help; "onnx-*" are ONNX Runtime's defaults; the rest are this project's own.
/// </summary>
public static class QuantizationPresets
{
    /// <summary>Module paths of FoundationPose's nn.Linear layers (attention projections are not nn.Linear to
    /// quantize_dynamic: in_proj is a bare Parameter and out_proj a NonDynamicallyQuantizableLinear).</summary>
    public static readonly string[] TorchLinearModules = { "*.linear1", "*.linear2", "trans_head.1", "rot_head.1", "linear" };

    /// <summary>Attention modules (the seed found them fragile).</summary>
    public static readonly string[] AttentionModules = { "*self_attn*", "att.*", "att/*", "att_cross.*", "att_cross/*" };

    // Declared before All: static fields initialise in order, and All reads an embedded preset with it.
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static readonly IReadOnlyDictionary<string, (string Description, QuantizationOptions Options)> All =
        new Dictionary<string, (string, QuantizationOptions)>(StringComparer.Ordinal)
        {
            ["torch-dynamic"] = ("PyTorch quantize_dynamic({nn.Linear}, qint8): Linear layers only, s8 per-tensor symmetric weights, u8 activations per run",
                new QuantizationOptions
                {
                    Mode = QuantMode.Dynamic, OpTypes = new() { "MatMul", "Gemm" }, Include = TorchLinearModules.ToList(),
                    PerChannel = false, SymmetricWeights = true, TorchSymmetricRule = true,
                }),
            ["torch-static"] = ("PyTorch x86/fbgemm static qconfig: per-channel s8 weights, u8 activations with reduce_range, HistogramObserver (L2); convs, Linears, adds; attention float",
                new QuantizationOptions
                {
                    Mode = QuantMode.Static, Format = QuantFormat.Qdq, PerChannel = true, SymmetricWeights = true, TorchSymmetricRule = true,
                    ReduceRangeActivations = true, Calibration = CalibrationMethod.HistogramL2,
                    OpTypes = new() { "Conv", "MatMul", "Gemm", "Add", "Relu", "Concat", "Split", "Reshape", "Transpose" },
                    Exclude = AttentionModules.ToList(),
                }),
            ["onnx-dynamic"] = ("ONNX Runtime quantize_dynamic defaults: Conv (ConvInteger) and MatMul (MatMulInteger), s8 per-tensor weights",
                new QuantizationOptions { Mode = QuantMode.Dynamic, PerChannel = false, SymmetricWeights = true }),
            ["onnx-static"] = ("ONNX Runtime quantize_static: QDQ, s8 per-channel weights, u8 activations, MinMax, every quantizable op",
                new QuantizationOptions { Mode = QuantMode.Static, Format = QuantFormat.Qdq, PerChannel = true }),
            ["convs-int8"] = ("Every convolution static int8 (with the encoders' residual adds and ReLUs); attention, transformer layers and heads float",
                new QuantizationOptions
                {
                    Mode = QuantMode.Static, Format = QuantFormat.Qdq, PerChannel = true,
                    OpTypes = new() { "Conv", "Add", "Relu", "Concat", "Split" }, Include = new() { "encode*" },
                }),
            ["fp16"] = ("Float16 weights and compute, float32 inputs and outputs",
                new QuantizationOptions { Mode = QuantMode.Fp16 }),
            ["weights-int8"] = ("Integer weight storage (s8 per channel) with float compute: smaller files, same math",
                new QuantizationOptions { Mode = QuantMode.WeightsOnly, PerChannel = true }),
            ["autoquant"] = ("Mixed precision found by 'fpquant autoquant --net both' on synthetic:0 weights (default budget): onnx-static with the most sensitive attention and head layers float; rerun autoquant for a real checkpoint",
                LoadEmbedded("FpQuant.Presets.autoquant.json")),
        };

    private static QuantizationOptions LoadEmbedded(string name)
    {
        using var s = typeof(QuantizationPresets).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded preset {name} is missing from the build");
        using var doc = JsonDocument.Parse(s);
        // Automatic reduce-range: the stored recipe must not pin the machine it was found on.
        return doc.RootElement.GetProperty("options").Deserialize<QuantizationOptions>(Json)! with { ReduceRange = null };
    }

    public static QuantizationOptions Get(string name) =>
        All.TryGetValue(name, out var p) ? p.Options
            : throw new FpQuantException($"unknown preset '{name}': use one of {string.Join(", ", All.Keys)}, or --preset-file FILE.json");


    public static QuantizationOptions LoadFile(string path) => PresetFile.Load(path);

    public static void SaveFile(string path, QuantizationOptions options, string? name = null, object? extra = null) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { name, options, extra }, Json));
}
