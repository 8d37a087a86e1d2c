using FpQuant.Quantization.Mixed;
using Onnx;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>One unit the search may keep float: its name, what kind of group it is, and its quantized nodes (for a
/// tensor point: the nodes that read the tensor).</summary>
internal sealed record QuantizationGroup(string Name, string Kind, List<string> Nodes)
{
    /// <summary>A tensor point's activation tensors, kept float together
    /// (<see cref="QuantizationOptions.FloatTensors"/>); empty for a node group.</summary>
    public IReadOnlyList<string> Tensors { get; init; } = Array.Empty<string>();
}

/// <summary>
/// Groups every quantized node of a recipe (compute and element-wise alike) into the units a search keeps float
/// together, so the search stays tractable and each unit means something: an attention block (its Q/K/V and output
/// projections, Q K^T, Softmax, P V and the data movement between them), a residual Add with the norm that follows
/// it, a convolution with the Relu and residual Add it feeds, a MatMul/Gemm with its Relu, and any other quantized
/// node on its own (grouped by module path).
/// </summary>
internal static class QuantizationGroups
{
    public const string Attention = "attention", ResidualNorm = "residual+norm", Conv = "conv", Compute = "compute",
        Other = "element-wise", Tensor = "tensor";

    public static List<QuantizationGroup> Of(GraphProto graph, IReadOnlyCollection<string> quantizedNodes)
    {
        var index = new GraphIndex(graph);
        var roles = NodeRoles.Of(graph);
        var quantized = new HashSet<string>(quantizedNodes, StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var groups = new List<QuantizationGroup>();
        bool Passes(NodeProto n) => roles[n.Name] is NodeRoles.DataMovement || n.OpType is "Add" or "Mul" or "Div"
            or "Cast" && roles[n.Name] != NodeRoles.Residual;
        void AddGroup(string name, string kind, IEnumerable<NodeProto> members)
        {
            var nodes =
                members.Select(m => m.Name).Distinct().Where(n => quantized.Contains(n) && !taken.Contains(n)).ToList();
            if (nodes.Count == 0) return;
            foreach (var n in nodes) taken.Add(n);
            groups.Add(new QuantizationGroup(name, kind,
                graph.Node.Select(x => x.Name).Where(nodes.Contains).ToList()));
        }
        // Walks from a tensor back through data movement and scale/bias arithmetic to the node that computes it.
        NodeProto? Back(string t, List<NodeProto> path, Func<NodeProto, bool> target)
        {
            for (int guard = 0; guard < 8 && index.Producer.TryGetValue(t, out var p); guard++)
            {
                if (target(p)) return p;
                if (!Passes(p)) return null;
                path.Add(p);
                t = p.Input.FirstOrDefault(i => i.Length > 0 && index.Producer.ContainsKey(i)
                    && !index.IsInitializer(i)) ?? "";
            }
            return null;
        }
        NodeProto? Forward(string t, List<NodeProto> path, Func<NodeProto, bool> target)
        {
            for (int guard = 0; guard < 8; guard++)
            {
                // Exporters read shapes off the tensors they reshape: a Shape consumer moves no values.
                var cs = index.ConsumersOf(t).Where(c => c.OpType is not ("Shape" or "Size")).ToList();
                if (cs.Count != 1) return null;
                if (target(cs[0])) return cs[0];
                if (!Passes(cs[0])) return null;
                path.Add(cs[0]);
                t = cs[0].Output[0];
            }
            return null;
        }
        bool IsWeighted(NodeProto n) => roles[n.Name] == NodeRoles.Weighted && n.OpType is "MatMul" or "Gemm";
        bool IsActMatMul(NodeProto n) => roles[n.Name] == NodeRoles.ActivationMatMul;

        foreach (var softmax in graph.Node.Where(n => n.OpType == "Softmax"))
        {
            var path = new List<NodeProto> { softmax };
            var qk = Back(softmax.Input[0], path, IsActMatMul);
            var pv = Forward(softmax.Output[0], path, IsActMatMul);
            if (qk == null || pv == null) continue;
            var members = new List<NodeProto>(path) { qk, pv };
            foreach (var t in new[] { qk.Input[0], qk.Input[1], pv.Input[1] })
                if (Back(t, members, IsWeighted) is { } proj) members.Add(proj);
            if (Forward(pv.Output[0], members, IsWeighted) is { } outProj) members.Add(outProj);
            var first = members.Where(IsWeighted).Select(m => m.Name).FirstOrDefault() ?? qk.Name;
            AddGroup($"attention {SensitivityAnalysis.LayerOf(first)}", Attention, members);
        }
        foreach (var add in graph.Node.Where(n => roles[n.Name] == NodeRoles.Residual))
        {
            var members = new List<NodeProto> { add };
            // The norm that reads the sum: a LayerNormalization, or a written-out one starting at ReduceMean(sum).
            var queue = new Queue<string>(add.Output);
            while (queue.Count > 0)
                foreach (var c in index.ConsumersOf(queue.Dequeue()))
                    if (roles[c.Name] == NodeRoles.Norm
                        && !members.Contains(c)) { members.Add(c); foreach (var o in c.Output) queue.Enqueue(o); }
            bool conv = add.Input.Any(i => index.Producer.TryGetValue(i, out var p) && p.OpType is "Conv" or "Relu");
            if (conv && members.Count == 1) continue; // a conv net's residual joins its conv below
            AddGroup($"residual {SensitivityAnalysis.LayerOf(add.Name)}", ResidualNorm, members);
        }
        foreach (var n in graph.Node.Where(n => roles[n.Name] == NodeRoles.Weighted))
        {
            var members = new List<NodeProto> { n };
            string t = n.Output[0];
            // Its Relu, and for a convolution the residual Add it feeds and the Relu after that.
            for (int guard = 0; guard < 3; guard++)
            {
                var cs = index.ConsumersOf(t);
                if (cs.Count != 1 || taken.Contains(cs[0].Name)) break;
                var c = cs[0];
                if (c.OpType == "Relu" || n.OpType == "Conv" && c.OpType == "Add"
                    && roles[c.Name] == NodeRoles.Residual) { members.Add(c); t = c.Output[0]; }
                else break;
            }
            AddGroup(SensitivityAnalysis.LayerOf(n.Name), n.OpType == "Conv" ? Conv : Compute, members);
        }
        foreach (var g in graph.Node.Where(n => quantized.Contains(n.Name) && !taken.Contains(n.Name))
            .GroupBy(n => SensitivityAnalysis.LayerOf(n.Name)))
            AddGroup(g.Key, Other, g);
        // Names are unique: a second group of the same module path gets its first node's name.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return groups.Select(g => seen.Add(g.Name) ? g : g with { Name = $"{g.Name} ({g.Nodes[0]})" }).ToList();
    }

    /// <summary>
    /// The Q/DQ pairs of a static plan as points of their own, apart from the nodes around them: one per activation
    /// tensor with its own pair, except a tensor internal to one node group (computed by a node of the group and read
    /// only by nodes of that same group), which that group's point already keeps float; so the points are the group
    /// boundaries, the graph inputs and the tensors read by float nodes. A Relu folded into its producer's
    /// quantization shares one pair with it: its point keeps both tensors float (the Relu's output names it).
    /// </summary>
    public static List<QuantizationGroup> TensorPoints(QuantizationPlan plan, IReadOnlyList<QuantizationGroup> groups)
    {
        var index = plan.Index;
        var groupOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var g in groups) foreach (var n in g.Nodes) groupOf.TryAdd(n, g.Name);
        var names = new HashSet<string>(groups.Select(g => g.Name), StringComparer.Ordinal);
        var relus = index.Graph.Node.Where(n => plan.RemovedRelus.Contains(n.Name)).ToList();
        var folded = relus.ToDictionary(n => n.Input[0], n => n.Output[0], StringComparer.Ordinal);
        var foldedInto = relus.ToDictionary(n => n.Output[0], n => n.Input[0], StringComparer.Ordinal);
        var points = new List<QuantizationGroup>();
        // In graph order (inputs first, then node outputs), so the points come out the same on every run.
        var order = index.Graph.Input.Select(i => i.Name).Concat(index.Graph.Node.SelectMany(n => n.Output));
        foreach (var t in order.Where(t => t.Length > 0 && plan.IsQuantized(t) && !index.IsInitializer(t)).Distinct())
        {
            if (folded.ContainsKey(t)) continue; // its pair is the folded Relu's output's point
            var tensors = foldedInto.TryGetValue(t, out var pre) ? new List<string> { pre, t } : new List<string> { t };
            var readers = index.ConsumersOf(t).Select(c => c.Name).Distinct().ToList();
            if (readers.Count == 0) continue;
            string? home = index.Producer.TryGetValue(tensors[0], out var p) ? groupOf.GetValueOrDefault(p.Name)
                : null;
            if (home != null && readers.All(r => groupOf.GetValueOrDefault(r) == home)) continue;
            string name = $"tensor {t}";
            while (!names.Add(name)) name += "'";
            points.Add(new QuantizationGroup(name, Tensor, readers) { Tensors = tensors });
        }
        return points;
    }
}
