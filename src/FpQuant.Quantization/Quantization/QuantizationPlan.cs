using FpQuant.Quantization.Handlers;
using Onnx;

namespace FpQuant.Quantization;

/// <summary>
/// The decisions of a static quantization, made before any rewriting: which nodes become integer and which
/// activation tensors carry a scale and zero point. Handlers are consulted in topological order so data-movement
/// ops and Relus can follow what their inputs became.
/// </summary>
internal sealed class QuantizationPlan
{
    public GraphIndex Index { get; }
    public QuantizationOptions Options { get; }
    public Dictionary<string, IOpQuantizer> QuantizedNodes { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, ParamSource> Tensors { get; } = new(StringComparer.Ordinal);
    /// <summary>Relu nodes folded into the preceding quantization (their output aliases their input).</summary>
    public HashSet<string> RemovedRelus { get; } = new(StringComparer.Ordinal);

    private readonly NodeSelector _selector;
    private readonly IReadOnlySet<string> _ops;

    private QuantizationPlan(GraphIndex index, QuantizationOptions options)
    {
        Index = index;
        Options = options;
        _selector = new NodeSelector(options.Include, options.Exclude);
        _ops = options.EffectiveOpTypes;
        FloatTensors = new FloatTensorSelector(options.FloatTensors);
    }

    /// <summary>The activation tensors the options keep float: never planned, so they get no Q/DQ pair.</summary>
    public FloatTensorSelector FloatTensors { get; }

    /// <summary>
    /// Whether a tensor kept float keeps this node float. An integer operator (QOperator form) reads and writes
    /// integers, so any node reading or writing one stays float. In QDQ form a node reads (or writes) it in float,
    /// except a Conv, MatMul or Gemm reading it: given a float activation and a dequantized weight, ONNX Runtime
    /// quantizes that activation itself at run time (on a MatMul reading an outlier tensor, measured 2x the error of
    /// the tensor's own Q/DQ pair), so such a node stays float, its weight too.
    /// </summary>
    public bool StaysFloatForFloatTensor(NodeProto node) => !FloatTensors.IsEmpty
        && (Options.Format == QuantFormat.QOperator
            ? node.Input.Concat(node.Output).Any(FloatTensors.Keeps)
            : OpTraits.IsWeightedCompute(node.OpType) && node.Input.Any(FloatTensors.Keeps));

    /// <summary>
    /// Whether the options select this node (its op type and name); handlers may still leave it float.
    /// </summary>
    public bool Selected(NodeProto node) => _ops.Contains(node.OpType) && _selector.Selects(node.Name);

    /// <summary>
    /// A Conv, MatMul or Gemm with a constant weight that stays float. Such a node must read float, not a
    /// DequantizeLinear: ONNX Runtime (1.20+) quantizes the float weights of a compute node fed by DequantizeLinear
    /// itself, per tensor, which silently turns a layer the user kept float into a coarse int8 one.
    /// </summary>
    public bool IsFloatComputeWithWeight(NodeProto node) =>
        OpTraits.HasConstantWeight(node, Index) && !QuantizedNodes.ContainsKey(node.Name);

    /// <param name="outerTypes">For an If/Loop/Scan body, the types of the values it reads from the graphs around
    /// it.</param>
    public static QuantizationPlan Make(GraphProto graph, QuantizationOptions options,
        IReadOnlyDictionary<string, int>? outerTypes = null)
    {
        var plan = new QuantizationPlan(new GraphIndex(graph), options);
        var types = new ElementTypes(graph, outerTypes);
        foreach (var node in graph.Node)
        {
            if (!plan.Selected(node)) continue;
            // Only float data is quantized: integer shape arithmetic (Add, Concat, Gather of shapes) stays as it is.
            if (node.Input.Count == 0 || !types.IsFloat(node.Input[0]) || !node.Output.All(types.IsFloat)) continue;
            if (node.OpType is "Add" or "Mul" or "Concat" && !node.Input.All(types.IsFloat)) continue;
            if (plan.StaysFloatForFloatTensor(node)) continue;
            var handler = OpQuantizers.For(node.OpType);
            if (handler == null || !handler.Plan(node, plan)) continue;
            plan.QuantizedNodes[node.Name] = handler;
        }
        return plan;
    }

    public bool IsQuantized(string tensor) => Tensors.ContainsKey(tensor);

    /// <summary>Marks a node input or output as quantized: calibrated, or from its own data when constant.</summary>
    public void QuantizeActivation(string tensor)
    {
        if (Tensors.ContainsKey(tensor) || FloatTensors.Keeps(tensor)) return;
        Tensors[tensor] = Index.IsInitializer(tensor) ? new ConstantSource(tensor) : new CalibratedSource(tensor);
    }

    /// <summary>The tensors whose ranges calibration must measure.</summary>
    public IReadOnlyCollection<string> TensorsToCalibrate() =>
        Tensors.Values.OfType<CalibratedSource>().Select(c => c.Tensor).Distinct().ToList();

    public ParamSource Resolve(string tensor)
    {
        var s = Tensors[tensor];
        for (int guard = 0; s is SharedSource shared && guard < 10_000; guard++) s = Tensors[shared.Tensor];
        return s;
    }
}
