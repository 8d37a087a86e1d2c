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

    /// <summary>The quantized model with every quantized node and its depth (bodies included), its calibrated
    /// ranges and the parameters of its activations (body tensors' too).</summary>
    public static ModeResult Quantize(ModelProto model, string source, QuantizationOptions options,
        InputSource? calibration, RuntimeSettings settings, IProgress<string>? progress)
    {
        if (calibration == null)
            throw new FpQuantException("static quantization needs calibration data: give an InputSource of samples");
        var plan = QuantizationPlan.Make(model.Graph, options);
        var bodyPlans = new List<QuantizationPlan>();
        CollectBodyPlans(model, options, bodyPlans, null);
        var tensors =
            plan.TensorsToCalibrate().Concat(bodyPlans.SelectMany(p => p.TensorsToCalibrate())).Distinct().ToList();
        var ranges = Calibrator.Collect(model, source, tensors, calibration, options, settings, progress);
        var parameters = RewriteContext.ComputeParams(plan, ranges);
        foreach (var p in bodyPlans)
            foreach (var (t, q) in RewriteContext.ComputeParams(p, ranges)) parameters.TryAdd(t, q);
        return Rewrite(model, plan, ranges) with { Ranges = ranges, Params = parameters };
    }

    /// <summary>
    /// The plans of every If/Loop/Scan body, nested ones included (each body planned as a model of its own).
    /// </summary>
    private static void CollectBodyPlans(ModelProto model, QuantizationOptions options, List<QuantizationPlan> plans,
        IReadOnlyDictionary<string, int>? outerTypes)
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

    /// <summary>Rewrites the graph given a plan and calibrated ranges (also used by sensitivity analysis to reuse
    /// ranges); the result's parameters are the plan's own.</summary>
    public static ModeResult Rewrite(ModelProto model, QuantizationPlan plan,
        IReadOnlyDictionary<string, CalibrationRange> ranges) =>
        Rewrite(model, plan, ranges, null);

    private static ModeResult Rewrite(ModelProto model, QuantizationPlan plan,
        IReadOnlyDictionary<string, CalibrationRange> ranges, IReadOnlyDictionary<string, int>? outerTypes)
    {
        var rewriter = new StaticRewriter(model, plan, ranges, outerTypes);
        return NodeRewriteLoop.Run(model, rewriter) with { Plan = plan, Params = rewriter.Context.Params };
    }

    /// <summary>
    /// Each planned node goes to its op's handler in the options' format; the rest read float inputs.
    /// </summary>
    private sealed class StaticRewriter : INodeRewriter
    {
        private readonly ModelProto _model;
        private readonly QuantizationPlan _plan;
        private readonly IReadOnlyDictionary<string, CalibrationRange> _ranges;
        private readonly IReadOnlyDictionary<string, int> _types;
        private readonly HashSet<string> _defined;

        public StaticRewriter(ModelProto model, QuantizationPlan plan,
            IReadOnlyDictionary<string, CalibrationRange> ranges, IReadOnlyDictionary<string, int>? outerTypes)
        {
            _model = model;
            _plan = plan;
            _ranges = ranges;
            _types = new ElementTypes(model.Graph, outerTypes).Known;
            Context = new RewriteContext(plan, RewriteContext.ComputeParams(plan, ranges));
            // A body reads values of the graphs around it without declaring them: they are float tensors here.
            _defined = Subgraphs.Defined(model.Graph);
            foreach (var n in model.Graph.Node)
                foreach (var i in n.Input.Concat(Subgraphs.Of(n).SelectMany(Subgraphs.OuterReads)))
                    if (i.Length > 0 && !_defined.Contains(i)) Context.MarkFloat(i);
        }

        public RewriteContext Context { get; }

        public bool RewritesBodiesOf(NodeProto node) =>
            !_plan.QuantizedNodes.ContainsKey(node.Name) && ControlFlow.Contains(node.OpType)
                && SubgraphBodies.Has(node);

        public void EmitWithBodies(NodeProto node, List<QuantizedNode> rewritten)
        {
            var copy = SubgraphBodies.Rewrite(node, _model,
                body => Rewrite(body, QuantizationPlan.Make(body.Graph, _plan.Options, _types), _ranges, _types),
                rewritten);
            // What the bodies read from this graph must exist here in float.
            foreach (var t in Subgraphs.Of(copy).SelectMany(Subgraphs.OuterReads).Distinct().ToList())
                if (_defined.Contains(t) && !_plan.Index.IsInitializer(t)) Context.Float(t);
            Context.EmitCopy(copy, copy.Input.Select(i => Context.InputOfFloatNode(copy, i)));
        }

        public bool Emit(NodeProto node)
        {
            if (_plan.QuantizedNodes.TryGetValue(node.Name, out var handler))
            {
                if (_plan.Options.Format == QuantFormat.Qdq) handler.EmitQdq(node, Context);
                else handler.EmitQOperator(node, Context);
                return true;
            }
            Context.EmitCopy(node, node.Input.Select(i => Context.InputOfFloatNode(node, i)));
            return false;
        }

        public ModelProto Assemble()
        {
            foreach (var o in _model.Graph.Output) Context.Float(o.Name);
            return GraphAssembly.Assemble(_model, Context.Nodes, Context.NewInitializers, Context.ReplacedInitializers,
                Context.IsRead,
                needsAxisOpset: _plan.Options.PerChannel || _plan.Options.Format == QuantFormat.Qdq,
                Context.UsesMicrosoftDomain);
        }
    }
}
