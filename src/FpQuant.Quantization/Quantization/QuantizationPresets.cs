using System.Text.Json;
using System.Text.Json.Serialization;
using FpQuant.Core;

namespace FpQuant.Quantization;

/// <summary>
/// Named recipes for any model, defined by op type and role. "torch-*" reproduce PyTorch's eager-mode recipes;
/// "onnx-*" are ONNX Runtime's defaults; the rest are this project's own. Model-specific recipes (FoundationPose's
/// module lists) live with their models and build on these.
/// </summary>
internal static class QuantizationPresets
{
    // Declared before All: static fields initialise in order.
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static readonly IReadOnlyDictionary<string, (string Description, QuantizationOptions Options)> All =
        new Dictionary<string, (string, QuantizationOptions)>(StringComparer.Ordinal)
        {
            ["torch-dynamic"] = ("PyTorch quantize_dynamic({nn.Linear}, qint8): every Linear (MatMul or Gemm with a constant weight), s8 per-tensor symmetric weights, u8 activations per run",
                new QuantizationOptions
                {
                    Mode = QuantMode.Dynamic, OpTypes = ["MatMul", "Gemm"],
                    PerChannel = false, SymmetricWeights = true, TorchSymmetricRule = true,
                }),
            ["torch-static"] = ("PyTorch x86/fbgemm static qconfig: per-channel s8 weights, u8 activations with reduce_range, HistogramObserver (L2); convs, Linears, adds; attention's activation-by-activation MatMuls float",
                new QuantizationOptions
                {
                    Mode = QuantMode.Static, Format = QuantFormat.Qdq, PerChannel = true, SymmetricWeights = true, TorchSymmetricRule = true,
                    ReduceRangeActivations = true, Calibration = CalibrationMethod.HistogramL2,
                    OpTypes = ["Conv", "MatMul", "Gemm", "Add", "Relu", "Concat", "Split", "Reshape", "Transpose"],
                    ActivationMatMuls = false,
                }),
            ["onnx-dynamic"] = ("ONNX Runtime quantize_dynamic defaults: Conv (ConvInteger), MatMul and Gemm (MatMulInteger), s8 per-tensor weights; embedding Gathers when OpTypes names them",
                new QuantizationOptions { Mode = QuantMode.Dynamic, PerChannel = false, SymmetricWeights = true }),
            ["onnx-static"] = ("ONNX Runtime quantize_static: QDQ, s8 per-channel weights, u8 activations, MinMax, every quantizable op",
                new QuantizationOptions { Mode = QuantMode.Static, Format = QuantFormat.Qdq, PerChannel = true }),
            ["convs-int8"] = ("Every convolution static int8 with the residual adds, ReLUs, concats and splits between them; everything else float",
                new QuantizationOptions
                {
                    Mode = QuantMode.Static, Format = QuantFormat.Qdq, PerChannel = true,
                    OpTypes = ["Conv", "Add", "Relu", "Concat", "Split"],
                }),
            ["fp16"] = ("Float16 weights and compute, float32 inputs and outputs",
                new QuantizationOptions { Mode = QuantMode.Fp16 }),
            ["weights-int8"] = ("Integer weight storage (s8 per channel) with float compute: smaller files, same math",
                new QuantizationOptions { Mode = QuantMode.WeightOnly, PerChannel = true }),
        };

    public static QuantizationOptions Get(string name) =>
        All.TryGetValue(name, out var p) ? p.Options
            : throw new FpQuantException($"unknown preset '{name}': use one of {string.Join(", ", All.Keys)}, or load a preset JSON file");

    /// <summary>Options stored as a preset document ({"options": ...} or the bare options) in an embedded resource
    /// of <paramref name="assembly"/>; automatic reduce-range, so a stored recipe does not pin the machine it was
    /// found on.</summary>
    public static QuantizationOptions LoadEmbedded(System.Reflection.Assembly assembly, string name)
    {
        using var s = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded preset {name} is missing from the build");
        using var doc = JsonDocument.Parse(s);
        return doc.RootElement.GetProperty("options").Deserialize<QuantizationOptions>(Json)! with { ReduceRange = null };
    }

    public static QuantizationOptions LoadFile(string path) => PresetFile.Load(path);

    public static void SaveFile(string path, QuantizationOptions options, string? name = null, object? extra = null) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { name, options, extra }, Json));
}
