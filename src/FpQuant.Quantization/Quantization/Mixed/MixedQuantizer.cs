using FpQuant.Core;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization.Mixed;

/// <summary>
/// One model whose nodes each have their own mode (<see cref="QuantizationOptions.Modes"/>): static int8 (QDQ),
/// dynamic int8, weights-only, fp16 or float. The modes are applied as passes over the same graph, each selecting
/// exactly its nodes: static first (calibrated on the float model, so its ranges are the float activations), then
/// dynamic, weights-only and fp16, each of which rewrites only its own nodes and copies the rest. A node left float
/// by the static pass reads its unquantized inputs, so a later pass finds the float graph around it.
/// </summary>
internal static class MixedQuantizer
{
    /// <summary>The mode each node of the graph is asked for: the first rule that selects it, else float; the
    /// recipe's Exclude globs keep a node float whatever the rules say.</summary>
    public static Dictionary<string, (NodeMode Mode, ModeRule? Rule)> Assign(GraphProto graph, QuantizationOptions o)
    {
        var roles = NodeRoles.Of(graph);
        var exclude = new NodeSelector(Array.Empty<string>(), o.Exclude);
        var globs = o.Modes.Select(r => r.Nodes.Select(NodeSelector.Compile).ToList()).ToList();
        var result = new Dictionary<string, (NodeMode, ModeRule?)>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            (NodeMode, ModeRule?) chosen = (NodeMode.Float, null);
            if (exclude.Selects(n.Name))
                for (int k = 0; k < o.Modes.Count; k++)
                {
                    var r = o.Modes[k];
                    if (r.OpTypes.Count > 0 && !r.OpTypes.Contains(n.OpType, StringComparer.Ordinal)) continue;
                    if (r.Roles.Count > 0 && !r.Roles.Contains(roles[n.Name], StringComparer.Ordinal)) continue;
                    if (globs[k].Count > 0 && !globs[k].Any(g => g.IsMatch(n.Name))) continue;
                    chosen = (r.Mode, r);
                    break;
                }
            result[n.Name] = chosen;
        }
        return result;
    }

    /// <summary>Refuses rules a preset file could hold but that mean nothing.</summary>
    public static void Validate(IReadOnlyList<ModeRule> rules)
    {
        for (int k = 0; k < rules.Count; k++)
        {
            var r = rules[k]
                ?? throw new FpQuantException($"modes[{k}] is null; give an object such as {{\"mode\": \"dynamic\", " +
                    $"\"opTypes\": [\"MatMul\"]}}");
            if (!Enum.IsDefined(r.Mode))
                throw new FpQuantException($"modes[{k}]: mode {(int)r.Mode} names none; use float, static, dynamic, " +
                    $"weights-only or fp16");
            foreach (var (name, list) in new[] { ("opTypes", r.OpTypes), ("roles", r.Roles), ("nodes", r.Nodes) })
                if (list == null || list.Any(x => x == null))
                    throw new FpQuantException($"modes[{k}].{name} must be a list of strings");
            foreach (var role in r.Roles)
                if (!NodeRoles.All.Contains(role))
                    throw new FpQuantException($"modes[{k}]: role '{role}' is not one of " +
                        $"{string.Join(", ", NodeRoles.All)}");
        }
    }

    /// <summary>
    /// The static part of a mixed recipe: exactly the nodes asked to be static (null when there are none).
    /// </summary>
    public static QuantizationOptions? StaticPart(QuantizationOptions o,
        IReadOnlyDictionary<string, (NodeMode Mode, ModeRule? Rule)> assignment)
    {
        var nodes = assignment.Where(kv => kv.Value.Mode == NodeMode.Static).Select(kv => kv.Key).ToList();
        return nodes.Count == 0 ? null
            : o with { Mode = QuantMode.Static, Modes = [], OpTypes = null, Include = nodes.Select(Exact).ToList(),
                Exclude = [] };
    }

    private static string Exact(string name) => NodeSelector.ForName(name);

    /// <summary>Calibrates the static part (when there is one) on <paramref name="model"/> and rewrites.</summary>
    public static ModeResult Quantize(ModelProto model, string source, QuantizationOptions o, InputSource? calibration,
        RuntimeSettings settings, IProgress<string>? progress = null)
    {
        var assignment = Assign(model.Graph, o);
        var staticPart = StaticPart(o, assignment);
        IReadOnlyDictionary<string, CalibrationRange> ranges = new Dictionary<string, CalibrationRange>();
        if (staticPart != null)
        {
            if (calibration == null)
                throw new FpQuantException("the recipe has static nodes, which need calibration data: give an " +
                    "InputSource of samples");
            var plan = QuantizationPlan.Make(model.Graph, staticPart);
            ranges = Calibrator.Collect(model, source, plan.TensorsToCalibrate(), calibration, staticPart, settings,
                progress);
        }
        return Rewrite(model, o, ranges, assignment);
    }

    /// <summary>Rewrites with ranges already calibrated (sensitivity analysis and autoquant reuse theirs). The result's
    /// nodes are every node rewritten by any pass, with its depth; its node modes are the mode each source node got
    /// (a node whose mode's handler declined it is float); its parameters and ranges are the static part's.</summary>
    public static ModeResult Rewrite(ModelProto model, QuantizationOptions o,
        IReadOnlyDictionary<string, CalibrationRange> ranges,
        Dictionary<string, (NodeMode Mode, ModeRule? Rule)>? assignment = null)
    {
        assignment ??= Assign(model.Graph, o);
        var actual = model.Graph.Node.ToDictionary(n => n.Name, _ => NodeMode.Float, StringComparer.Ordinal);
        var parameters = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        var rewritten = new List<QuantizedNode>();
        var current = model;
        QuantizationPlan? plan = null;
        var staticPart = StaticPart(o, assignment);
        if (staticPart != null)
        {
            plan = QuantizationPlan.Make(current.Graph, staticPart);
            var pass = StaticQuantizer.Rewrite(current, plan, ranges);
            current = pass.Model;
            rewritten.AddRange(pass.Nodes);
            foreach (var n in plan.QuantizedNodes.Keys) actual[n] = NodeMode.Static;
            foreach (var kv in pass.Params) parameters[kv.Key] = kv.Value;
        }
        // Dynamic and weights-only nodes in groups of the same per-channel setting.
        foreach (var mode in new[] { NodeMode.Dynamic, NodeMode.WeightOnly })
            foreach (var group in assignment.Where(kv => kv.Value.Mode == mode)
                .GroupBy(kv => kv.Value.Rule?.PerChannel ?? o.PerChannel))
            {
                var part = o with
                {
                    Mode = mode == NodeMode.Dynamic ? QuantMode.Dynamic : QuantMode.WeightOnly, Modes = [],
                    OpTypes = null,
                    PerChannel = group.Key, Include = group.Select(kv => Exact(kv.Key)).ToList(), Exclude = [],
                };
                var pass = mode == NodeMode.Dynamic ? DynamicQuantizer.Quantize(current, part)
                    : WeightOnlyQuantizer.Quantize(current, part);
                current = pass.Model;
                rewritten.AddRange(pass.Nodes);
                foreach (var n in pass.Nodes) actual[n.Name] = mode;
            }
        var fp16 = assignment.Where(kv => kv.Value.Mode == NodeMode.Fp16).Select(kv => Exact(kv.Key)).ToList();
        if (fp16.Count > 0)
        {
            var pass = Fp16Converter.Quantize(current,
                o with { Mode = QuantMode.Fp16, Modes = [], Include = fp16, Exclude = [] });
            current = pass.Model;
            rewritten.AddRange(pass.Nodes);
            foreach (var n in pass.Nodes.Where(n => actual.ContainsKey(n.Name))) actual[n.Name] = NodeMode.Fp16;
        }
        return new ModeResult(current, rewritten)
        {
            NodeModes = actual, Params = parameters, Plan = plan,
            Ranges = ranges.Where(kv => parameters.ContainsKey(kv.Key))
                .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        };
    }
}
