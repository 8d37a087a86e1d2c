using FpQuant.Quantization.Calibration;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>What one quantization mode made of a model; every mode (static, dynamic, weight-only, fp16, mixed)
/// answers in this shape.</summary>
/// <param name="Model">The rewritten model.</param>
/// <param name="Nodes">The nodes the mode rewrote, with their depth (nodes inside If/Loop/Scan bodies
/// included).</param>
internal sealed record ModeResult(ModelProto Model, IReadOnlyList<QuantizedNode> Nodes)
{
    /// <summary>Calibrated activation ranges (static nodes only; empty otherwise).</summary>
    public IReadOnlyDictionary<string, CalibrationRange> Ranges { get; init; } =
        new Dictionary<string, CalibrationRange>();

    /// <summary>Activation quantization parameters (static nodes only; empty otherwise).</summary>
    public IReadOnlyDictionary<string, QuantParams> Params { get; init; } = new Dictionary<string, QuantParams>();

    /// <summary>The plan of the static nodes, when there are any.</summary>
    public QuantizationPlan? Plan { get; init; }

    /// <summary>Mixed-mode recipes: the mode every source node got (a node whose handler declined it is
    /// float).</summary>
    public IReadOnlyDictionary<string, Mixed.NodeMode>? NodeModes { get; init; }

    /// <summary>The names of the nodes made integer or float16: for a mixed recipe those whose mode is not
    /// float.</summary>
    public List<string> NodeNames => NodeModes != null
        ? NodeModes.Where(kv => kv.Value != Mixed.NodeMode.Float).Select(kv => kv.Key).ToList()
        : Nodes.Select(n => n.Name).ToList();
}

/// <summary>One mode's part of <see cref="NodeRewriteLoop"/>: it emits each node, rewritten or copied.</summary>
internal interface INodeRewriter
{
    /// <summary>Whether this mode rewrites the If/Loop/Scan bodies of <paramref name="node"/> (then
    /// <see cref="EmitWithBodies"/> emits it, else <see cref="Emit"/>).</summary>
    bool RewritesBodiesOf(NodeProto node);

    /// <summary>Emits a copy of the node with its bodies rewritten; the nodes rewritten inside go to
    /// <paramref name="rewritten"/> one level deeper.</summary>
    void EmitWithBodies(NodeProto node, List<QuantizedNode> rewritten);

    /// <summary>Emits the node: rewritten when this mode's handler takes it (true), else copied (false).</summary>
    bool Emit(NodeProto node);

    /// <summary>The output model, from everything emitted.</summary>
    ModelProto Assemble();
}

/// <summary>The one walk over a graph's nodes that every quantization mode shares.</summary>
internal static class NodeRewriteLoop
{
    public static ModeResult Run(ModelProto model, INodeRewriter rewriter)
    {
        var rewritten = new List<QuantizedNode>();
        foreach (var node in model.Graph.Node)
        {
            if (rewriter.RewritesBodiesOf(node)) rewriter.EmitWithBodies(node, rewritten);
            else if (rewriter.Emit(node)) rewritten.Add(new QuantizedNode(node.Name, 0));
        }
        return new ModeResult(rewriter.Assemble(), rewritten);
    }
}

/// <summary>
/// Dynamic and weight-only quantization: each node of a selected op type goes to its op's handler, which may
/// decline it (no constant weight); If/Loop/Scan bodies are rewritten by the same mode. Needs no activation ranges:
/// the rewrite context's plan is empty, only its weight helpers are used.
/// </summary>
internal sealed class SelectedNodeRewriter : INodeRewriter
{
    private readonly ModelProto _model;
    private readonly Func<NodeProto, bool> _handler;
    private readonly Func<ModelProto, ModeResult> _rewriteBody;
    private readonly bool _needsAxisOpset;
    private readonly NodeSelector _selector;
    private readonly IReadOnlySet<string> _ops;

    /// <param name="handlers">Given the rewrite context, the function that emits a selected node's rewritten form
    /// through its op's handler; false when there is none or it declines.</param>
    /// <param name="rewriteBody">The same mode on an If/Loop/Scan body.</param>
    public SelectedNodeRewriter(ModelProto model, QuantizationOptions o,
        Func<RewriteContext, Func<NodeProto, bool>> handlers, Func<ModelProto, ModeResult> rewriteBody,
        bool needsAxisOpset)
    {
        _model = model;
        _rewriteBody = rewriteBody;
        _needsAxisOpset = needsAxisOpset;
        var emptyPlan = QuantizationPlan.Make(model.Graph, o with { OpTypes = Array.Empty<string>() });
        Context = new RewriteContext(emptyPlan, new());
        _handler = handlers(Context);
        _selector = new NodeSelector(o.Include, o.Exclude);
        _ops = o.EffectiveOpTypes;
    }

    public RewriteContext Context { get; }

    public bool RewritesBodiesOf(NodeProto node) => SubgraphBodies.Has(node);

    public void EmitWithBodies(NodeProto node, List<QuantizedNode> rewritten)
    {
        var copy = SubgraphBodies.Rewrite(node, _model, _rewriteBody, rewritten);
        Context.EmitCopy(copy, copy.Input);
    }

    public bool Emit(NodeProto node)
    {
        if (_ops.Contains(node.OpType) && _selector.Selects(node.Name) && _handler(node)) return true;
        Context.EmitCopy(node, node.Input);
        return false;
    }

    public ModelProto Assemble() => GraphAssembly.Assemble(_model, Context.Nodes, Context.NewInitializers,
        Context.ReplacedInitializers, Context.IsRead, _needsAxisOpset, usesMicrosoft: false);
}
