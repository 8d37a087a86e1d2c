using System.Text.Json;
using System.Text.Json.Serialization;
using FpQuant.Core;

namespace FpQuant.Quantization;

/// <summary>
/// Named recipes for any model, defined by op type and role. "torch-*" reproduce PyTorch's eager-mode recipes;
/// "onnx-*" are ONNX Runtime's defaults; the rest are this project's own. Model-specific recipes (FoundationPose's
/// module lists) live with their models and build on these. Each is a <see cref="QuantizationOptions"/>; change
/// one with a <c>with</c> expression, e.g. <c>QuantizationPresets.OnnxStatic with { PerChannel = false }</c>.
/// </summary>
public static class QuantizationPresets
{
    // Declared before All: static fields initialise in order.
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    internal static readonly IReadOnlyDictionary<string, (string Description, QuantizationOptions Options)> All =
        new Dictionary<string, (string, QuantizationOptions)>(StringComparer.Ordinal)
        {
            ["torch-dynamic"] = ("PyTorch quantize_dynamic({nn.Linear}, qint8): every Linear (MatMul or Gemm with a " +
                "constant weight), s8 per-tensor symmetric weights, u8 activations per run",
                new QuantizationOptions
                {
                    Mode = QuantMode.Dynamic, OpTypes = ["MatMul", "Gemm"],
                    PerChannel = false, SymmetricWeights = true, TorchSymmetricRule = true,
                }),
            ["torch-static"] = ("PyTorch x86/fbgemm static qconfig: per-channel s8 weights, u8 activations with " +
                "reduce_range, HistogramObserver (L2); convs, Linears, adds; attention's activation-by-activation " +
                "MatMuls float",
                new QuantizationOptions
                {
                    Mode = QuantMode.Static, Format = QuantFormat.Qdq, PerChannel = true, SymmetricWeights = true,
                    TorchSymmetricRule = true,
                    ReduceRangeActivations = true, Calibration = CalibrationMethod.HistogramL2,
                    OpTypes = ["Conv", "MatMul", "Gemm", "Add", "Relu", "Concat", "Split", "Reshape", "Transpose"],
                    ActivationMatMuls = false,
                }),
            ["onnx-dynamic"] = ("ONNX Runtime quantize_dynamic defaults: Conv (ConvInteger), MatMul and Gemm " +
                "(MatMulInteger), s8 per-tensor weights; embedding Gathers when OpTypes names them",
                new QuantizationOptions { Mode = QuantMode.Dynamic, PerChannel = false, SymmetricWeights = true }),
            ["onnx-static"] = ("ONNX Runtime quantize_static: QDQ, s8 per-channel weights, u8 activations, MinMax, " +
                "every quantizable op",
                new QuantizationOptions { Mode = QuantMode.Static, Format = QuantFormat.Qdq, PerChannel = true }),
            ["convs-int8"] = ("Every convolution static int8 with the residual adds, ReLUs, concats and splits " +
                "between them; everything else float",
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

    /// <summary>"onnx-static": ONNX Runtime's quantize_static defaults (QDQ, s8 per-channel weights, u8
    /// activations, MinMax calibration, every quantizable op). Needs calibration data.</summary>
    public static QuantizationOptions OnnxStatic => All["onnx-static"].Options;

    /// <summary>"onnx-dynamic": ONNX Runtime's quantize_dynamic defaults (ConvInteger and MatMulInteger, s8
    /// per-tensor weights, activations quantized per run). Needs no calibration data.</summary>
    public static QuantizationOptions OnnxDynamic => All["onnx-dynamic"].Options;

    /// <summary>"torch-static": PyTorch's x86 static recipe (per-channel s8 weights, u8 activations with reduced
    /// range, histogram L2 calibration). Needs calibration data.</summary>
    public static QuantizationOptions TorchStatic => All["torch-static"].Options;

    /// <summary>"torch-dynamic": PyTorch's quantize_dynamic of Linear layers (MatMul and Gemm with a constant
    /// weight). Needs no calibration data.</summary>
    public static QuantizationOptions TorchDynamic => All["torch-dynamic"].Options;

    /// <summary>"convs-int8": every convolution static int8 with the adds, ReLUs, concats and splits between them;
    /// the rest float. Needs calibration data.</summary>
    public static QuantizationOptions ConvsInt8 => All["convs-int8"].Options;

    /// <summary>"fp16": float16 weights and compute, float32 inputs and outputs. Needs no calibration data.</summary>
    public static QuantizationOptions Fp16 => All["fp16"].Options;

    /// <summary>"weights-int8": s8 per-channel weight storage with float compute. Needs no calibration data.</summary>
    public static QuantizationOptions WeightsInt8 => All["weights-int8"].Options;

    /// <summary>Every preset's name, as the command line lists them.</summary>
    public static IReadOnlyList<string> Names => [.. All.Keys];

    /// <summary>What the preset <paramref name="name"/> does, in one line.</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>The description.</returns>
    /// <exception cref="FpQuantException">No preset has that name.</exception>
    public static string Describe(string name)
    {
        Get(name);
        return All[name].Description;
    }

    /// <summary>The preset named <paramref name="name"/> (e.g. "onnx-static").</summary>
    /// <param name="name">A name from <see cref="Names"/>.</param>
    /// <returns>The preset's options.</returns>
    /// <exception cref="FpQuantException">No preset has that name; the message lists them.</exception>
    public static QuantizationOptions Get(string name) =>
        All.TryGetValue(name, out var p) ? p.Options
            : throw new FpQuantException($"unknown preset '{name}': use one of {string.Join(", ", All.Keys)}, or " +
                $"load a preset JSON file");

    /// <summary>Options stored as a preset document ({"options": ...} or the bare options) in an embedded resource
    /// of <paramref name="assembly"/>; automatic reduce-range, so a stored recipe does not pin the machine it was
    /// found on.</summary>
    internal static QuantizationOptions LoadEmbedded(System.Reflection.Assembly assembly, string name)
    {
        using var s = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded preset {name} is missing from the build");
        using var doc = JsonDocument.Parse(s);
        return doc.RootElement.GetProperty("options")
            .Deserialize<QuantizationOptions>(Json)! with { ReduceRange = null };
    }

    /// <summary>Options from a preset file: JSON with the options under "options" (as autoquant writes it) or the
    /// bare options.</summary>
    /// <param name="path">The .json file.</param>
    /// <returns>The options it holds.</returns>
    /// <exception cref="FpQuantException">The file is missing or does not hold valid options.</exception>
    public static QuantizationOptions LoadFile(string path) => PresetFile.Load(path);

    /// <summary>The name of the preset whose options these are (the very instance or equal options), or null.</summary>
    internal static string? NameOf(QuantizationOptions options) =>
        All.FirstOrDefault(kv => ReferenceEquals(kv.Value.Options, options)).Key
        ?? All.FirstOrDefault(kv => kv.Value.Options.Equals(options)).Key;

    internal static void SaveFile(string path, QuantizationOptions options, string? name = null,
        object? extra = null) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { name, options, extra }, Json));
}
