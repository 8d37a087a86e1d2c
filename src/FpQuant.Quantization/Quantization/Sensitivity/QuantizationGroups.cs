using FpQuant.Quantization.Mixed;
using Onnx;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>One unit the search may keep float: its name, what kind of group it is, and its quantized nodes.</summary>
internal sealed record QuantizationGroup(string Name, string Kind, List<string> Nodes);

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
        Other = "element-wise";

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
}
