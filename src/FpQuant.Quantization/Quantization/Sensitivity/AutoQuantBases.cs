using FpQuant.Quantization.Mixed;
using Onnx;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>
/// The recipes autoquant starts from when no preset is given, as far as they apply to the model: "static" (every
/// op the static quantizer knows, QDQ, per-channel s8 weights), "static-compute" (static int8 on every Conv, MatMul
/// and Gemm, attention's activation products included; residual stream, norms and the rest float), "static-weighted"
/// (the same without the activation products, whose small matrices gain little from int8),
/// "dynamic-per-channel" (MatMul/Gemm with per-run activation scales and one weight scale per output channel), and
/// "hybrid" (convolutions static with the Relu/Add/MaxPool/Concat/Split they feed, MatMul/Gemm dynamic per channel,
/// the rest float; only where the model has both). Dynamic convolutions (ConvInteger) are no base: ONNX Runtime runs
/// them far slower than float (0.26x on ResNet-18 here).
/// </summary>
internal static class AutoQuantBases
{
    public static IReadOnlyList<(string Name, QuantizationOptions Options)> For(GraphProto graph)
    {
        var index = new GraphIndex(graph);
        bool conv = graph.Node.Any(n => n.OpType == "Conv" && OpTraits.HasConstantWeight(n, index));
        bool matmul = graph.Node.Any(n => n.OpType is "MatMul" or "Gemm" && OpTraits.HasConstantWeight(n, index));
        var list = new List<(string, QuantizationOptions)>();
        if (!conv && !matmul) return list;
        list.Add(("static", QuantizationPresets.Get("onnx-static")));
        list.Add(("static-compute", new QuantizationOptions
        {
            Modes = [new ModeRule { Mode = NodeMode.Static, Roles = [NodeRoles.Weighted, NodeRoles.ActivationMatMul] }],
        }));
        list.Add(("static-weighted", new QuantizationOptions
        {
            Modes = [new ModeRule { Mode = NodeMode.Static, Roles = [NodeRoles.Weighted] }],
        }));
        if (matmul)
            list.Add(("dynamic-per-channel",
                new QuantizationOptions { Mode = QuantMode.Dynamic, PerChannel = true, OpTypes = ["MatMul", "Gemm"] }));
        if (conv && matmul)
            list.Add(("hybrid", new QuantizationOptions
            {
                Modes =
                [
                    new ModeRule { Mode = NodeMode.Static,
                        Nodes = ConvRegion(graph, index).Select(NodeSelector.ForName).ToList() },
                    new ModeRule { Mode = NodeMode.Dynamic, OpTypes = ["MatMul", "Gemm"], Roles = [NodeRoles.Weighted],
                        PerChannel = true },
                ],
            }));
        return list;
    }

    /// <summary>The convolutions and the Relu/Add/MaxPool/Concat/Split nodes fed by them (in graph order, so a chain
    /// conv -> relu -> add -> relu is one region).</summary>
    public static List<string> ConvRegion(GraphProto graph, GraphIndex index)
    {
        var region = new HashSet<string>(StringComparer.Ordinal);
        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            bool take = n.OpType == "Conv" && OpTraits.HasConstantWeight(n, index)
                || n.OpType is "Relu" or "Add" or "MaxPool" or "Concat" or "Split" && n.Input.Any(produced.Contains);
            if (!take) continue;
            region.Add(n.Name);
            foreach (var o in n.Output) produced.Add(o);
        }
        return graph.Node.Where(n => region.Contains(n.Name)).Select(n => n.Name).ToList();
    }

    /// <summary>
    /// Whether a recipe makes any MatMul/Gemm integer, i.e. whether outlier smoothing can apply to it.
    /// </summary>
    public static bool HasSmoothableNodes(GraphProto graph, QuantizationOptions o)
    {
        var selected = Smoothing.SmoothingPass.IntegerNodes(graph, o);
        var index = new GraphIndex(graph);
        return graph.Node.Any(n => selected(n) && Smoothing.OutlierSmoothing.IsSmoothable(n, index));
    }
}
