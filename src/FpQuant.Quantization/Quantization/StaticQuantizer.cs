using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Handlers;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>Static (calibrated) quantization: plan, calibrate with the real model, compute parameters, rewrite.
/// If/Loop/Scan bodies are planned and rewritten like the main graph (see <see cref="SubgraphBodies"/>), their
/// tensors calibrated through <see cref="SubgraphExposure"/>.</summary>
internal static class StaticQuantizer
{
    private static readonly HashSet<string> ControlFlow = new(StringComparer.Ordinal) { "If", "Loop", "Scan" };

    public static (ModelProto Model, QuantizationPlan Plan, Dictionary<string, CalibrationRange> Ranges, Dictionary<string, QuantParams> Params)
        Quantize(ModelProto model, string source, QuantizationOptions options, InputSource calibration, RuntimeSettings settings, IProgress<string>? progress)
    {
        var (m, plan, ranges, parameters, _) = QuantizeWithDepths(model, source, options, calibration, settings, progress);
        return (m, plan, ranges, parameters);
    }

    /// <summary>As <see cref="Quantize"/>, with every quantized node and its depth (bodies included), and the
    /// parameters of body tensors in <c>Params</c> too.</summary>
    public static (ModelProto Model, QuantizationPlan Plan, Dictionary<string, CalibrationRange> Ranges, Dictionary<string, QuantParams> Params, List<QuantizedNode> Nodes)
        QuantizeWithDepths(ModelProto model, string source, QuantizationOptions options, InputSource calibration, RuntimeSettings settings, IProgress<string>? progress)
    {
        var plan = QuantizationPlan.Make(model.Graph, options);
        var bodyPlans = new List<QuantizationPlan>();
        CollectBodyPlans(model, options, bodyPlans, null);
        var tensors = plan.TensorsToCalibrate().Concat(bodyPlans.SelectMany(p => p.TensorsToCalibrate())).Distinct().ToList();
        var ranges = Calibrator.Collect(model, source, tensors, calibration, options, settings, progress);
        var parameters = RewriteContext.ComputeParams(plan, ranges);
        foreach (var p in bodyPlans)
            foreach (var (t, q) in RewriteContext.ComputeParams(p, ranges)) parameters.TryAdd(t, q);
        var nodes = new List<QuantizedNode>();
        return (Rewrite(model, plan, ranges, nodes, null), plan, ranges, parameters, nodes);
    }

    /// <summary>The plans of every If/Loop/Scan body, nested ones included (each body planned as a model of its own).</summary>
    private static void CollectBodyPlans(ModelProto model, QuantizationOptions options, List<QuantizationPlan> plans, IReadOnlyDictionary<string, int>? outerTypes)
    {
        var types = new ElementTypes(model.Graph, outerTypes).Known;
        foreach (var node in model.Graph.Node.Where(n => ControlFlow.Contains(n.OpType)))
            foreach (var body in Subgraphs.Of(node))
            {
                var (m, _) = SubgraphBodies.AsModel(body, model);
                plans.Add(QuantizationPlan.Make(m.Graph, options, types));
                CollectBodyPlans(m, options, plans, types);
            }
    }

    /// <summary>Rewrites the graph given a plan and calibrated ranges (also used by sensitivity analysis to reuse ranges).</summary>
    public static ModelProto Rewrite(ModelProto model, QuantizationPlan plan, IReadOnlyDictionary<string, CalibrationRange> ranges) =>
        Rewrite(model, plan, ranges, new List<QuantizedNode>(), null);

    private static ModelProto Rewrite(ModelProto model, QuantizationPlan plan, IReadOnlyDictionary<string, CalibrationRange> ranges, List<QuantizedNode> quantized,
        IReadOnlyDictionary<string, int>? outerTypes)
    {
        var types = new ElementTypes(model.Graph, outerTypes).Known;
        var parameters = RewriteContext.ComputeParams(plan, ranges);
        var ctx = new RewriteContext(plan, parameters);
        // A body reads values of the graphs around it without declaring them: they are float tensors here.
        var defined = Subgraphs.Defined(model.Graph);
        foreach (var n in model.Graph.Node)
            foreach (var i in n.Input.Concat(Subgraphs.Of(n).SelectMany(Subgraphs.OuterReads)))
                if (i.Length > 0 && !defined.Contains(i)) ctx.MarkFloat(i);
        foreach (var node in model.Graph.Node)
        {
            if (plan.QuantizedNodes.TryGetValue(node.Name, out var handler))
            {
                if (plan.Options.Format == QuantFormat.Qdq) handler.EmitQdq(node, ctx);
                else handler.EmitQOperator(node, ctx);
                quantized.Add(new QuantizedNode(node.Name, 0));
            }
            else if (ControlFlow.Contains(node.OpType) && SubgraphBodies.Has(node))
            {
                var copy = SubgraphBodies.Rewrite(node, model,
                    body => { var inner = new List<QuantizedNode>(); return (Rewrite(body, QuantizationPlan.Make(body.Graph, plan.Options, types), ranges, inner, types), inner); },
                    quantized);
                // What the bodies read from this graph must exist here in float.
                foreach (var t in Subgraphs.Of(copy).SelectMany(Subgraphs.OuterReads).Distinct().ToList())
                    if (defined.Contains(t) && !plan.Index.IsInitializer(t)) ctx.Float(t);
                ctx.EmitCopy(copy, copy.Input.Select(i => ctx.InputOfFloatNode(copy, i)));
            }
            else
            {
                ctx.EmitCopy(node, node.Input.Select(i => ctx.InputOfFloatNode(node, i)));
            }
        }
        foreach (var o in model.Graph.Output) ctx.Float(o.Name);
        return GraphAssembly.Assemble(model, ctx.Nodes, ctx.NewInitializers, ctx.ReplacedInitializers, ctx.IsRead,
            needsAxisOpset: plan.Options.PerChannel || plan.Options.Format == QuantFormat.Qdq, ctx.UsesMicrosoftDomain);
    }
}
