using FpQuant.Core;
using FpQuant.Quantization;

namespace FpQuant.Networks;

/// <summary>
/// The presets as FoundationPose's networks use them: the generic recipes, narrowed where PyTorch's module-level
/// choices have no op-level equivalent (its quantize_dynamic sees nn.Linear modules, not attention's projections;
/// its static recipe keeps attention modules float; convs-int8 covers the encoders), plus the autoquant recipe
/// found for these networks.
/// </summary>
internal static class FoundationPosePresets
{
    /// <summary>Module paths of FoundationPose's nn.Linear layers (attention projections are not nn.Linear to
    /// quantize_dynamic: in_proj is a bare Parameter and out_proj a NonDynamicallyQuantizableLinear).</summary>
    public static readonly IReadOnlyList<string> TorchLinearModules =
        Array.AsReadOnly(new[] { "*.linear1", "*.linear2", "trans_head.1", "rot_head.1", "linear" });

    /// <summary>Attention modules: with the heads, the layers int8 hurts most.</summary>
    public static readonly IReadOnlyList<string> AttentionModules =
        Array.AsReadOnly(new[] { "*self_attn*", "att.*", "att/*", "att_cross.*", "att_cross/*" });

    /// <summary>The encoders' module paths, where FoundationPose's convolutions are.</summary>
    public static readonly IReadOnlyList<string> EncoderModules = Array.AsReadOnly(new[] { "encode*" });

    public static readonly IReadOnlyDictionary<string, (string Description, QuantizationOptions Options)> All = Build();

    private static Dictionary<string, (string, QuantizationOptions)> Build()
    {
        var all = new Dictionary<string, (string, QuantizationOptions)>(StringComparer.Ordinal);
        foreach (var (name, (description, options)) in QuantizationPresets.All)
        {
            all[name] = name switch
            {
                "torch-dynamic" => ("PyTorch quantize_dynamic({nn.Linear}, qint8): only the nn.Linear layers (not " +
                    "convs, not attention projections), s8 per-tensor symmetric weights, u8 activations per run",
                    options with { Include = TorchLinearModules }),
                "torch-static" => ("PyTorch x86/fbgemm static qconfig: per-channel s8 weights, u8 activations with " +
                    "reduce_range, HistogramObserver (L2); convs, Linears, adds; attention float",
                    options with { Exclude = AttentionModules, ActivationMatMuls = true }),
                "convs-int8" => ("Every convolution static int8 (with the encoders' residual adds and ReLUs); " +
                    "attention, transformer layers and heads float",
                    options with { Include = EncoderModules }),
                _ => (description, options),
            };
        }
        all["autoquant"] = ("Mixed precision found by AutoQuant on both networks with synthetic:0 weights (default " +
            "budget): onnx-static with the most sensitive attention and head layers float; rerun autoquant for a " +
            "real checkpoint",
            QuantizationPresets.LoadEmbedded(typeof(FoundationPosePresets).Assembly, "FpQuant.Presets.autoquant.json"));
        return all;
    }

    public static QuantizationOptions Get(string name) =>
        All.TryGetValue(name, out var p) ? p.Options
            : throw new FpQuantException($"unknown preset '{name}': use one of {string.Join(", ", All.Keys)}, or " +
                $"load a preset JSON file");

    /// <summary>The preset for a model: FoundationPose's recipe where the model is one of its networks, the generic
    /// one otherwise.</summary>
    public static QuantizationOptions For(string name, global::Onnx.ModelProto model, string source) =>
        IsFoundationPoseNetwork(model, source) ? Get(name) : QuantizationPresets.Get(name);

    public static bool IsFoundationPoseNetwork(global::Onnx.ModelProto model, string source)
    {
        try { ModelSignature.Of(model, source); return true; }
        catch (FpQuantException) { return false; }
    }
}
