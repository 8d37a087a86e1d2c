namespace FpQuant.Quantization.Mixed;

/// <summary>What one node becomes in a mixed-mode model.</summary>
public enum NodeMode
{
    /// <summary>Left float32.</summary>
    Float,
    /// <summary>Static int8 (calibrated ranges).</summary>
    Static,
    /// <summary>Dynamic int8 (activations quantized per run).</summary>
    Dynamic,
    /// <summary>Int8 weight storage, float compute.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("weights-only")]
    WeightOnly,
    /// <summary>Float16.</summary>
    Fp16,
}

/// <summary>
/// One line of a mixed-mode recipe: the nodes it selects and the mode they get. A node is selected when it matches
/// every criterion given (op type, role, name glob); within one criterion any entry may match. The first rule that
/// selects a node decides its mode; a node no rule selects stays float.
/// </summary>
public sealed record ModeRule
{
    /// <summary>The mode the selected nodes get.</summary>
    public NodeMode Mode { get; init; } = NodeMode.Float;
    /// <summary>Op types (e.g. "MatMul"); empty means any.</summary>
    public IReadOnlyList<string> OpTypes { get; init; } = Array.Empty<string>();
    /// <summary>Roles (<see cref="NodeRoles"/>: weighted, activation-matmul, residual, norm, softmax, elementwise,
    /// data-movement); empty means any.</summary>
    public IReadOnlyList<string> Roles { get; init; } = Array.Empty<string>();
    /// <summary>Node names or globs on the module path; empty means any.</summary>
    public IReadOnlyList<string> Nodes { get; init; } = Array.Empty<string>();
    /// <summary>Per-channel weights for this rule's nodes; null keeps the recipe's setting.</summary>
    public bool? PerChannel { get; init; }

    internal static NodeMode ParseMode(string s) => s.Trim().ToLowerInvariant() switch
    {
        "float" or "fp32" => NodeMode.Float,
        "static" => NodeMode.Static,
        "dynamic" => NodeMode.Dynamic,
        "weights-only" or "weightsonly" or "weights" => NodeMode.WeightOnly,
        "fp16" => NodeMode.Fp16,
        _ => throw new Core.FpQuantException($"mode '{s}': use float, static, dynamic, weights-only or fp16"),
    };

    internal static string Name(NodeMode m) => m switch
    {
        NodeMode.WeightOnly => "weights-only",
        _ => m.ToString().ToLowerInvariant(),
    };
}
