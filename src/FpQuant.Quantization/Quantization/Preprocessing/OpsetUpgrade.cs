using System.Text;
using FpQuant.Core;
using FpQuant.Onnx;
using Onnx;

namespace FpQuant.Quantization.Preprocessing;

/// <summary>
/// Raises a model's default-domain opset to 13, the first with per-axis QuantizeLinear/DequantizeLinear. Ops whose
/// signature changed on the way (checked against the ONNX operator changelog) are rewritten: attributes that became
/// inputs (Reshape's shape, Squeeze/Unsqueeze's axes, Split's split, ReduceSum's axes, Pad's pads, Slice's starts and
/// ends, TopK's k, Clip's min/max), Softmax/LogSoftmax/Hardmax's 2-D coercion made explicit, Upsample and Resize-10
/// as Resize-13, inference-time Dropout as Identity, BatchNormalization's removed attributes dropped. An op this
/// does not know is refused in one line naming it and the opset.
/// </summary>
internal static class OpsetUpgrade
{
    public const int TargetOpset = 13;

    /// <summary>Ops whose inputs, outputs and inference semantics are the same from opset 7 to 13 (later versions
    /// only added types, or attributes whose defaults keep the old behaviour).</summary>
    private static readonly HashSet<string> Unchanged = new(StringComparer.Ordinal)
    {
        "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool",
        "BatchNormalization", "Cast", "Ceil", "Clip", "Concat", "Constant", "ConstantOfShape", "Conv", "ConvTranspose",
        "Cos", "Cosh",
        "CumSum", "DepthToSpace", "Div", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten",
        "Floor",
        "GRU", "Gather", "GatherElements", "GatherND", "Gemm", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool",
        "Greater", "GreaterOrEqual", "HardSigmoid", "Identity", "InstanceNormalization", "IsInf", "IsNaN", "LRN",
        "LSTM",
        "LeakyRelu", "Less", "LessOrEqual", "Log", "LpNormalization", "LpPool", "MatMul", "Max", "MaxPool", "Mean",
        "MeanVarianceNormalization", "Min", "Mod", "Mul", "Neg", "NonZero", "Not", "OneHot", "Or", "PRelu", "Pad",
        "Pow",
        "RNN", "Range", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
        "ReduceMean",
        "ReduceMin", "ReduceProd", "ReduceSumSquare", "Relu", "Reshape", "Resize", "Round", "ScatterElements",
        "ScatterND",
        "Selu", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Slice", "Softplus", "Softsign",
        "SpaceToDepth",
        "Sqrt", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "TopK", "Transpose", "Where", "Xor",
        // Ops introduced at opset 9 to 12 whose later versions up to 13 only added types or negative axes: a model
        // that has them is at least as new as they are.
        "BitShift", "Celu", "Compress", "ConcatFromSequence", "ConvInteger", "DequantizeLinear", "Det",
        "DynamicQuantizeLinear", "MatMulInteger", "MaxRoiPool", "MaxUnpool", "NonMaxSuppression", "QLinearConv",
        "QLinearMatMul", "QuantizeLinear", "ReverseSequence", "RoiAlign", "SequenceAt", "SequenceConstruct",
        "SequenceEmpty", "SequenceErase", "SequenceInsert", "SequenceLength", "SplitToSequence", "StringNormalizer",
        "TfIdfVectorizer", "Unique", "GreaterOrEqual", "LessOrEqual", "NegativeLogLikelihoodLoss",
        "SoftmaxCrossEntropyLoss",
    };

    public static ModelProto ToOpset13(ModelProto model, string source, List<string> notes) =>
        Raise(model, TargetOpset, source, notes);

    /// <summary>Raises the default-domain opset to <paramref name="target"/> (at most 13) when it is below it; a
    /// model already there is returned as it is. Control-flow bodies are raised with their graph.</summary>
    public static ModelProto Raise(ModelProto model, long target, string source, List<string> notes)
    {
        if (target > TargetOpset)
            throw new ArgumentOutOfRangeException(nameof(target), $"opsets above {TargetOpset} are not known here");
        var onnx = model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        if (onnx == null || onnx.Version >= target) return model;
        long from = onnx.Version;
        var m = model.Clone();
        var g = m.Graph;
        var rw = new Rewriter(g, from, source);
        rw.UpgradeGraph(g);
        g.Initializer.AddRange(rw.NewInitializers);
        m.OpsetImport.First(o => o.Domain is "" or "ai.onnx").Version = target;
        if (m.IrVersion < 7) m.IrVersion = 7;
        // Before IR 4 every initializer was also a graph input; ONNX Runtime treats such an input as overridable,
        // not constant, which would keep it from folding quantized weights.
        var inits = g.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = g.Input.Where(i => !inits.Contains(i.Name)).ToList();
        int dropped = g.Input.Count - inputs.Count;
        g.Input.Clear();
        g.Input.AddRange(inputs);
        g.ValueInfo.Clear();
        notes.Add($"raised the default-domain opset from {from} to {target} ({rw.Rewritten} node(s) " +
            $"rewritten{(dropped > 0 ? $", {dropped} initializer(s) no longer listed as graph inputs" : "")})");
        return m;
    }

    private sealed class Rewriter
    {
        private static readonly long[] FirstAxis = [0L];
        private readonly long _from;
        private readonly string _source;
        private readonly HashSet<string> _names;
        private readonly Dictionary<string, TensorProto> _initializers;
        private readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _firstDims = new(StringComparer.Ordinal);
        public List<TensorProto> NewInitializers { get; } = new();
        public int Rewritten { get; private set; }

        public Rewriter(GraphProto g, long from, string source)
        {
            _from = from; _source = source;
            _initializers = g.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
            foreach (var v in g.Input.Concat(g.ValueInfo).Concat(g.Output))
                if (v.Type?.TensorType?.Shape is { } s)
                {
                    _ranks[v.Name] = s.Dim.Count;
                    if (s.Dim.Count > 0
                        && s.Dim[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
                            _firstDims[v.Name] = s.Dim[0].DimValue;
                }
            _names = g.Initializer.Select(i => i.Name).Concat(Subgraphs.AllNodes(g).SelectMany(n => n.Node.Output))
                .Concat(g.Input.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        }

        private FpQuantException Unsupported(NodeProto n, string why) =>
            new($"{_source}: cannot raise node '{n.Name}' ({n.OpType}, opset {_from}) to opset {TargetOpset}: {why}; " +
                $"re-export the model at opset {TargetOpset} or later");

        private string Fresh(string baseName)
        {
            string name = baseName;
            for (int i = 1; !_names.Add(name); i++) name = $"{baseName}_{i}";
            return name;
        }

        private string Ints(NodeProto n, string what, IEnumerable<long> values)
        {
            var v = values.ToArray();
            string name = Fresh($"{n.Name}/{what}");
            NewInitializers.Add(TensorProtos.FromInt64(name, v, v.Length));
            return name;
        }

        private string Floats(NodeProto n, string what, float[] values, params long[] dims)
        {
            string name = Fresh($"{n.Name}/{what}");
            NewInitializers.Add(TensorProtos.FromFloats(name, values, dims));
            return name;
        }

        private static AttributeProto? Attr(NodeProto n, string name) =>
            n.Attribute.FirstOrDefault(a => a.Name == name);

        private static void Drop(NodeProto n, params string[] names)
        {
            foreach (var a in n.Attribute.Where(a => names.Contains(a.Name)).ToList()) n.Attribute.Remove(a);
        }

        /// <summary>
        /// Moves an ints attribute to input <paramref name="position"/> (padding skipped inputs with "").
        /// </summary>
        private NodeProto AttributeToInput(NodeProto node, string attribute, int position, bool required = false)
        {
            var n = node.Clone();
            var a = Attr(n, attribute);
            if (a == null)
            {
                if (required) throw Unsupported(node, $"attribute '{attribute}' is missing");
                return n;
            }
            Drop(n, attribute);
            while (n.Input.Count < position) n.Input.Add("");
            string name = Ints(n, attribute, a.Ints);
            if (n.Input.Count == position) n.Input.Add(name); else n.Input[position] = name;
            Rewritten++;
            return n;
        }

        /// <summary>Upgrades a graph's default-domain nodes in place, bodies of control-flow nodes included (their new
        /// constants go to the main graph, which every body may read).</summary>
        public void UpgradeGraph(GraphProto g)
        {
            var nodes = new List<NodeProto>();
            foreach (var node in g.Node)
            {
                if (node.Domain is not ("" or "ai.onnx")) { nodes.Add(node); continue; }
                foreach (var n in Upgrade(node))
                {
                    foreach (var body in Subgraphs.Of(n)) UpgradeGraph(body);
                    nodes.Add(n);
                }
            }
            g.Node.Clear();
            g.Node.AddRange(nodes);
        }

        public IEnumerable<NodeProto> Upgrade(NodeProto node)
        {
            var n = node;
            if (n.Attribute.Any(a => a.Name == "consumed_inputs")) { n =
                n.Clone(); Drop(n, "consumed_inputs"); Rewritten++; }
            switch (n.OpType)
            {
                case "Reshape" when _from < 5:
                    return new[] { AttributeToInput(n, "shape", 1, required: true) };
                case "Squeeze" or "Unsqueeze":
                    return new[] { AttributeToInput(n, "axes", 1, required: n.OpType == "Unsqueeze") };
                case "Split":
                    return new[] { AttributeToInput(n, "split", 1) };
                case "ReduceSum":
                    return new[] { AttributeToInput(n, "axes", 1) };
                case "Pad" when _from < 11:
                {
                    var p = AttributeToInput(n, _from < 2 ? "paddings" : "pads", 1, required: true);
                    var value = Attr(p, "value");
                    if (value != null) { Drop(p,
                        "value"); p.Input.Add(Floats(p, "constant_value", new[] { value.F })); }
                    return new[] { p };
                }
                case "Slice" when _from < 10:
                {
                    var s = n.Clone();
                    var starts = Attr(s, "starts") ?? throw Unsupported(n, "attribute 'starts' is missing");
                    var ends = Attr(s, "ends") ?? throw Unsupported(n, "attribute 'ends' is missing");
                    var axes = Attr(s, "axes");
                    Drop(s, "starts", "ends", "axes");
                    s.Input.Add(Ints(s, "starts", starts.Ints));
                    s.Input.Add(Ints(s, "ends", ends.Ints));
                    if (axes != null) s.Input.Add(Ints(s, "axes", axes.Ints));
                    Rewritten++;
                    return new[] { s };
                }
                case "TopK" when _from < 10:
                {
                    var t = n.Clone();
                    var k = Attr(t, "k") ?? throw Unsupported(n, "attribute 'k' is missing");
                    Drop(t, "k");
                    t.Input.Add(Ints(t, "k", new[] { k.I }));
                    Rewritten++;
                    return new[] { t };
                }
                case "Clip" when _from < 11:
                {
                    var c = n.Clone();
                    var min = Attr(c, "min");
                    var max = Attr(c, "max");
                    Drop(c, "min", "max");
                    c.Input.Add(min != null ? Floats(c, "min", new[] { min.F }) : "");
                    if (max != null) c.Input.Add(Floats(c, "max", new[] { max.F }));
                    Rewritten++;
                    return new[] { c };
                }
                case "Softmax" or "LogSoftmax" or "Hardmax":
                    return CoercedTo2D(n);
                case "Dropout":
                {
                    // Inference: Dropout passes its input through. Its mask output has no Identity equivalent.
                    if (n.Output.Count > 1 && n.Output[1].Length > 0) throw Unsupported(n, "its mask output is used");
                    var id = new NodeProto { OpType = "Identity", Name = n.Name };
                    id.Input.Add(n.Input[0]);
                    id.Output.Add(n.Output[0]);
                    Rewritten++;
                    return new[] { id };
                }
                case "Upsample":
                    return new[] { UpsampleAsResize(n) };
                case "Resize" when _from < 11:
                {
                    // Resize-10's coordinates are asymmetric and its nearest rounds down.
                    var r = n.Clone();
                    string scales = r.Input[1];
                    r.Input.Clear();
                    r.Input.Add(node.Input[0]); r.Input.Add(""); r.Input.Add(scales);
                    r.Attribute.Add(GraphBuilder.Attr("coordinate_transformation_mode", "asymmetric"));
                    if ((Attr(r, "mode")?.S.ToStringUtf8() ?? "nearest") == "nearest")
                        r.Attribute.Add(GraphBuilder.Attr("nearest_mode", "floor"));
                    Rewritten++;
                    return new[] { r };
                }
                case "BatchNormalization" when _from < 9:
                {
                    var b = n.Clone();
                    var spatial = Attr(b, "spatial");
                    if (spatial != null && spatial.I == 0)
                        throw Unsupported(n, "spatial=0 (per-activation statistics) has no opset 13 form");
                    if (n.Output.Skip(1).Any(o => o.Length > 0)) throw Unsupported(n, "it has training outputs");
                    Drop(b, "spatial", "is_test");
                    while (b.Output.Count > 1) b.Output.RemoveAt(b.Output.Count - 1);
                    Rewritten++;
                    return new[] { b };
                }
                case "PRelu" when _from < 7:
                    return SlopePerChannel(n);
                case "Gemm" when _from < 7:
                case "Add" or "Sub" or "Mul" or "Div" when _from < 7:
                {
                    if (Attr(n, "axis") != null && GraphIndex.IntAttr(n, "broadcast", 0) != 0) return AxisBroadcast(n);
                    var e = n.Clone();
                    Drop(e, "broadcast");
                    Rewritten++;
                    return new[] { e };
                }
                case "Concat" when _from < 4:
                {
                    var c = n.Clone();
                    if (Attr(c, "axis") == null) { c.Attribute.Add(GraphBuilder.Attr("axis", 1L)); Rewritten++; }
                    return new[] { c };
                }
                case "Scan" when _from < 9:
                    return ScanWithoutBatch(n);
                case "Scan" or "Loop" or "If":
                    return new[] { n.Clone() };
                case "Scatter":
                {
                    // Deprecated at opset 11 in favour of ScatterElements, which computes the same.
                    var e = n.Clone();
                    e.OpType = "ScatterElements";
                    Rewritten++;
                    return new[] { e };
                }
                case "Cast" when _from < 6:
                    throw Unsupported(n, "its 'to' attribute is a type name");
                case var op when Unchanged.Contains(op):
                    return new[] { n };
                default:
                    throw Unsupported(n, "this converter does not know how the op changed");
            }
        }

        /// <summary>
        /// Before opset 7 a PRelu slope of C values applied along the channel axis (axis 1); from 7 it broadcasts
        /// like numpy, from the last axis. A one-axis slope of more than one value becomes C x 1 x ... x 1 for an
        /// input of rank r > 2: reshaped once when it is constant, by a Reshape at run time otherwise. A slope
        /// already shaped for broadcasting, or an input of rank 2 (channels last anyway), needs nothing.
        /// </summary>
        private NodeProto[] SlopePerChannel(NodeProto node)
        {
            var n = node.Clone();
            Drop(n, "broadcast");
            if (n.Input.Count < 2) return new[] { n };
            string slope = n.Input[1];
            bool constant = _initializers.TryGetValue(slope, out var init);
            int? slopeRank = constant ? init!.Dims.Count : _ranks.TryGetValue(slope, out var sr) ? sr : null;
            if (constant && TensorProtos.ElementCount(init!) <= 1) return new[] { n };
            if (slopeRank != 1) return new[] { n };
            if (!_ranks.TryGetValue(n.Input[0], out int rank))
                throw Unsupported(node, "its per-channel slope needs the input's rank, which the model does not state");
            if (rank <= 2) return new[] { n };
            var dims = new long[rank - 1];
            Array.Fill(dims, 1L);
            Rewritten++;
            if (constant)
            {
                dims[0] = init!.Dims[0];
                string name = Fresh($"{slope}/per_channel");
                NewInitializers.Add(TensorProtos.FromFloats(name, TensorProtos.ToFloats(init), dims));
                n.Input[1] = name;
                return new[] { n };
            }
            dims[0] = -1;
            string reshaped = Fresh($"{slope}/per_channel");
            var reshape = new NodeProto { OpType = "Reshape", Name = Fresh($"{n.Name}/slope_reshape") };
            reshape.Input.Add(slope); reshape.Input.Add(Ints(n, "slope_shape", dims)); reshape.Output.Add(reshaped);
            n.Input[1] = reshaped;
            return new[] { reshape, n };
        }

        /// <summary>
        /// Scan-8 runs its body once per batch item (axis 0 of every state and scan input, with optional sequence
        /// lengths); Scan-9 has no batch axis. With a batch of 1 and no sequence lengths the two agree once the batch
        /// axis is squeezed away before and put back after; anything else has no opset 13 form here.
        /// </summary>
        private List<NodeProto> ScanWithoutBatch(NodeProto node)
        {
            if (node.Input.Count > 0 && node.Input[0].Length > 0)
                throw Unsupported(node, "Scan-8's sequence lengths have no opset 13 form");
            var rest = node.Input.Skip(1).ToList();
            if (!rest.All(i => (_firstDims.TryGetValue(i, out var b) && b == 1)
                || (_initializers.TryGetValue(i, out var t) && t.Dims.Count > 0 && t.Dims[0] == 1)))
                throw Unsupported(node,
                    "Scan-8's batch axis has no opset 13 form unless the model states a batch of 1");
            var nodes = new List<NodeProto>();
            string axes = Ints(node, "batch_axis", FirstAxis);
            var scan = new NodeProto { OpType = "Scan", Name = node.Name };
            foreach (var i in rest)
            {
                var sq = new NodeProto { OpType = "Squeeze", Name = Fresh($"{node.Name}/{i}/squeeze_batch") };
                string squeezed = Fresh($"{i}/without_batch");
                sq.Input.Add(i); sq.Input.Add(axes); sq.Output.Add(squeezed);
                nodes.Add(sq);
                scan.Input.Add(squeezed);
            }
            var after = new List<NodeProto>();
            foreach (var o in node.Output)
            {
                if (o.Length == 0) { scan.Output.Add(""); continue; }
                string inner = Fresh($"{o}/without_batch");
                scan.Output.Add(inner);
                var un = new NodeProto { OpType = "Unsqueeze", Name = Fresh($"{node.Name}/{o}/unsqueeze_batch") };
                un.Input.Add(inner); un.Input.Add(axes); un.Output.Add(o);
                after.Add(un);
            }
            foreach (var a in node.Attribute)
                scan.Attribute.Add(a.Name == "directions"
                    ? new AttributeProto { Name = "scan_input_directions", Type = a.Type, Ints = { a.Ints } }
                    : a.Clone());
            Rewritten++;
            nodes.Add(scan);
            nodes.AddRange(after);
            return nodes;
        }

        /// <summary>
        /// Before opset 7, B of rank k with broadcast=1 and an axis lined up with A's axes axis..axis+k-1; numpy
        /// broadcasting lines it up with the last k axes. B gets trailing ones to fill A's rank r: reshaped once when
        /// constant, by a Reshape that copies its k dimensions (0) and adds ones otherwise.
        /// </summary>
        private NodeProto[] AxisBroadcast(NodeProto node)
        {
            var n = node.Clone();
            long axis = GraphIndex.IntAttr(n, "axis", 0);
            Drop(n, "broadcast", "axis");
            Rewritten++;
            string b = n.Input[1];
            bool constant = _initializers.TryGetValue(b, out var init);
            int? k = constant ? init!.Dims.Count : _ranks.TryGetValue(b, out var kr) ? kr : null;
            if (!_ranks.TryGetValue(n.Input[0], out int r) || k == null)
                throw Unsupported(node,
                    "legacy broadcasting along an axis needs both operands' ranks, which the model does not state");
            if (axis < 0) axis += r;
            long trailing = r - axis - k.Value;
            if (trailing < 0) throw Unsupported(node, $"axis {axis} does not fit a rank-{k} operand into rank {r}");
            if (trailing == 0) return new[] { n };
            string aligned = Fresh($"{b}/aligned");
            if (constant)
            {
                var dims = init!.Dims.Concat(Enumerable.Repeat(1L, (int)trailing)).ToArray();
                var t = init.Clone();
                t.Name = aligned;
                t.Dims.Clear();
                t.Dims.AddRange(dims);
                NewInitializers.Add(t);
                n.Input[1] = aligned;
                return new[] { n };
            }
            var shape = Enumerable.Repeat(0L, k.Value).Concat(Enumerable.Repeat(1L, (int)trailing));
            var reshape = new NodeProto { OpType = "Reshape", Name = Fresh($"{n.Name}/align_reshape") };
            reshape.Input.Add(b); reshape.Input.Add(Ints(n, "aligned_shape", shape)); reshape.Output.Add(aligned);
            n.Input[1] = aligned;
            return new[] { reshape, n };
        }

        /// <summary>
        /// Before opset 13 these ops flattened their input to 2-D at 'axis' (default 1) and normalised over the
        /// second dimension; from 13 they work along one axis. Flatten, the op along the last axis, and a Reshape
        /// back to the input's shape reproduce the old meaning for any rank.
        /// </summary>
        private NodeProto[] CoercedTo2D(NodeProto n)
        {
            long axis = GraphIndex.IntAttr(n, "axis", 1);
            string x = n.Input[0], y = n.Output[0];
            string shape = Fresh($"{n.Name}/input_shape"), flat = Fresh($"{n.Name}/flattened"),
                normalised = Fresh($"{n.Name}/normalised_2d");
            var shapeNode = new NodeProto { OpType = "Shape", Name = Fresh($"{n.Name}/Shape") };
            shapeNode.Input.Add(x); shapeNode.Output.Add(shape);
            var flatten = new NodeProto { OpType = "Flatten", Name = Fresh($"{n.Name}/Flatten") };
            flatten.Input.Add(x); flatten.Output.Add(flat);
            flatten.Attribute.Add(GraphBuilder.Attr("axis", axis));
            var op = new NodeProto { OpType = n.OpType, Name = n.Name };
            op.Input.Add(flat); op.Output.Add(normalised);
            op.Attribute.Add(GraphBuilder.Attr("axis", -1L));
            var reshape = new NodeProto { OpType = "Reshape", Name = Fresh($"{n.Name}/Reshape") };
            reshape.Input.Add(normalised); reshape.Input.Add(shape); reshape.Output.Add(y);
            Rewritten++;
            return new[] { shapeNode, flatten, op, reshape };
        }

        /// <summary>Upsample (nearest or linear, asymmetric coordinates) as Resize-13 with the same scales.</summary>
        private NodeProto UpsampleAsResize(NodeProto n)
        {
            var r = new NodeProto { OpType = "Resize", Name = n.Name };
            string mode = Attr(n, "mode")?.S.ToStringUtf8() ?? "nearest";
            if (mode is "bilinear") mode = "linear";
            if (mode is not ("nearest" or "linear")) throw Unsupported(n, $"mode '{mode}'");
            string scales;
            if (n.Input.Count > 1 && n.Input[1].Length > 0) scales = n.Input[1];
            else
            {
                var s = Attr(n, "scales") ?? throw Unsupported(n, "no scales");
                scales = Floats(n, "scales", s.Floats.ToArray(), s.Floats.Count);
            }
            r.Input.Add(n.Input[0]); r.Input.Add(""); r.Input.Add(scales);
            r.Output.Add(n.Output[0]);
            r.Attribute.Add(GraphBuilder.Attr("mode", mode));
            r.Attribute.Add(GraphBuilder.Attr("coordinate_transformation_mode", "asymmetric"));
            if (mode == "nearest") r.Attribute.Add(GraphBuilder.Attr("nearest_mode", "floor"));
            Rewritten++;
            return r;
        }
    }
}
