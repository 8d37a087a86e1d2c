using Onnx;

namespace FpQuant.Quantization.Mixed;

/// <summary>
/// The role each node of a graph plays, for recipes that speak in roles rather than names: "weighted" (Conv, MatMul,
/// Gemm with a constant weight), "activation-matmul" (a MatMul of two computed operands: attention's Q K^T and P V),
/// "residual" (an Add of two computed float tensors), "norm" (LayerNormalization and friends, and every node of a
/// LayerNorm written out as ReduceMean / Sub / Pow / Sqrt / Div / Mul / Add), "softmax", "data-movement", and
/// "elementwise" for other float arithmetic. A node has one role; a norm's own Add and Mul are "norm".
/// </summary>
internal static class NodeRoles
{
    public const string Weighted = "weighted", ActivationMatMul = "activation-matmul", Residual = "residual",
        Norm = "norm",
        Softmax = "softmax", DataMovement = "data-movement", Elementwise = "elementwise", Other = "other";

    public static readonly IReadOnlyList<string> All =
        new[] { Weighted, ActivationMatMul, Residual, Norm, Softmax, DataMovement, Elementwise, Other };

    private static readonly HashSet<string> NormOps = new(StringComparer.Ordinal)
        { "LayerNormalization", "BatchNormalization", "InstanceNormalization", "GroupNormalization",
            "SimplifiedLayerNormalization", "SkipLayerNormalization" };
    private static readonly HashSet<string> DecomposedNormOps = new(StringComparer.Ordinal)
        { "ReduceMean", "Sub", "Pow", "Mul", "Add", "Sqrt", "Div", "Reciprocal" };
    private static readonly HashSet<string> MovementOps = new(StringComparer.Ordinal)
        { "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Split", "Concat", "Slice", "Gather", "MaxPool",
            "Resize", "Expand" };
    private static readonly HashSet<string> ElementwiseOps = new(StringComparer.Ordinal)
        { "Add", "Sub", "Mul", "Div", "Relu", "Sigmoid", "Tanh", "Erf", "Pow", "Sqrt", "Exp", "Gelu", "AveragePool",
            "GlobalAveragePool", "ReduceMean", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish" };

    /// <summary>Node name to role, for every node of the graph.</summary>
    public static Dictionary<string, string> Of(GraphProto graph)
    {
        var index = new GraphIndex(graph);
        var types = new ElementTypes(graph);
        var norm = DecomposedNorms(graph, index);
        var roles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            bool computed(string t) => t.Length > 0 && !index.IsInitializer(t)
                && !(index.Producer.TryGetValue(t, out var p) && p.OpType == "Constant");
            roles[n.Name] =
                NormOps.Contains(n.OpType) || norm.Contains(n.Name) ? Norm
                : OpTraits.HasConstantWeight(n, index) ? Weighted
                : n.OpType == "MatMul" && n.Input.Count == 2 && n.Input.All(computed) ? ActivationMatMul
                : n.OpType == "Add" && n.Input.Count == 2 && n.Input.All(computed) && n.Input.All(types.IsFloat)
                    && !IsMaskAdd(n, index) ? Residual
                : n.OpType == "Softmax" ? Softmax
                : MovementOps.Contains(n.OpType) ? DataMovement
                : ElementwiseOps.Contains(n.OpType) && n.Output.All(types.IsFloat) ? Elementwise
                : Other;
        }
        return roles;
    }

    /// <summary>An attention-score Add whose second operand is the mask's offset (a Mul/Sub chain from the mask input),
    /// not a residual: one of its operands feeds a Softmax through it.</summary>
    private static bool IsMaskAdd(NodeProto add, GraphIndex index) =>
        index.ConsumersOf(add.Output[0]).Any(c => c.OpType == "Softmax");

    /// <summary>Nodes of LayerNorms written out: from a Sub(X, ReduceMean(X)), every arithmetic node whose computed
    /// inputs all come from the chain, up to its final Add of the bias (at most 12 nodes per norm).</summary>
    private static HashSet<string> DecomposedNorms(GraphProto graph, GraphIndex index)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mean in graph.Node.Where(n => n.OpType == "ReduceMean" && n.Input.Count >= 1))
        {
            string x = mean.Input[0];
            var sub = index.ConsumersOf(mean.Output[0])
                .FirstOrDefault(c => c.OpType == "Sub" && c.Input.Count == 2 && c.Input[0] == x);
            if (sub == null) continue;
            var members = new List<NodeProto> { mean, sub };
            var produced = new HashSet<string>(StringComparer.Ordinal) { mean.Output[0], sub.Output[0] };
            bool sawDiv = false;
            for (int guard = 0; guard < 12; guard++)
            {
                var next = members.SelectMany(m => m.Output).SelectMany(index.ConsumersOf).Distinct()
                    .FirstOrDefault(c => !members.Contains(c) && DecomposedNormOps.Contains(c.OpType)
                        && c.Input.Where(i => i.Length > 0)
                            .All(i => produced.Contains(i) || index.IsInitializer(i) || IsConstant(i, index))
                        && c.Input.Any(produced.Contains));
                if (next == null) break;
                members.Add(next);
                foreach (var o in next.Output) produced.Add(o);
                if (next.OpType is "Div" or "Reciprocal") sawDiv = true;
                // The bias Add after the scale Mul ends the norm.
                if (sawDiv && next.OpType == "Add"
                    && index.Producer.TryGetValue(next.Input.First(produced.Contains), out var p) && p.OpType == "Mul")
                        break;
            }
            if (sawDiv) foreach (var m in members) result.Add(m.Name);
        }
        return result;
    }

    private static bool IsConstant(string t, GraphIndex index) => index.Producer.TryGetValue(t, out var p)
        && p.OpType == "Constant";
}
