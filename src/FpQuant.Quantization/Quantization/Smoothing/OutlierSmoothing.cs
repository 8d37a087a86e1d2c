using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Google.Protobuf;
using Onnx;

namespace FpQuant.Quantization.Smoothing;

/// <summary>How one activation was smoothed: the MatMul/Gemm nodes reading it, where its 1/s went, the alpha, and
/// the largest channel scale.</summary>
internal sealed record SmoothedTensor(string Tensor, IReadOnlyList<string> Consumers, string FoldedInto, double Alpha,
    double MaxScale);

internal sealed record SmoothingResult(ModelProto Model, IReadOnlyList<SmoothedTensor> Tensors);

/// <summary>
/// Outlier smoothing (SmoothQuant, Xiao et al. 2023): a MatMul or Gemm X W is rewritten as (X / s)(diag(s) W) with,
/// per input channel j, s_j = max|X_j|^alpha / max|W_j|^(1 - alpha), so a few activation channels with large values
/// do not set one activation scale for all: part of their range moves into the weights, which are quantized per
/// output channel. The float function is unchanged. 1/s is folded exactly into what produces X where that is
/// possible (a LayerNorm's gamma and beta, written out or as LayerNormalization; the weight columns and bias of a
/// preceding MatMul/Gemm, also through a Relu, which commutes with a positive scale), and otherwise applied by an
/// inserted Mul in front of the MatMuls only. When X also feeds other nodes (a residual Add), the fold can still be
/// made: those readers then get X back through one inserted Mul by s on their side (kept float).
/// </summary>
internal static class OutlierSmoothing
{
    /// <summary>What <see cref="SmoothedTensor.FoldedInto"/> says when no producer could take 1/s.</summary>
    public const string InsertedMul = "an inserted Mul";

    /// <summary>What <see cref="SmoothedTensor.FoldedInto"/> adds when a fold gave X's other readers X * s.</summary>
    public const string RestoringMul = "a Mul restoring it for the other readers";

    /// <summary>
    /// Whether 1/s is folded into the producer even when X has other readers (which then get X * s through a Mul).
    /// The default because it was never worse: on all-MiniLM-L6-v2 (static-compute, 12 of 25 smoothings are such
    /// LayerNorm outputs) the fold and the Mul in front of the MatMuls gave the same held-out cosine (0.9912 / 0.9910
    /// per-layer alpha, 0.9953 / 0.9959 alpha 0.65) and, over three alternating bench-model runs, fold / Mul speed
    /// ratios of 1.06, 1.24, 1.14 (per layer) and 0.99, 0.88, 0.99 (0.65): +4 % pooled, within the noise of a shared
    /// machine. The node count is the same; the fold leaves nothing between the norm and the MatMuls' quantization.
    /// </summary>
    public const bool CompensateByDefault = true;

    /// <summary>The name of the Mul inserted in front of the MatMuls reading <paramref name="tensor"/>.</summary>
    public static string MulName(string tensor) => $"{tensor}/smooth";

    /// <summary>The name of the Mul that gives the other readers of a folded <paramref name="tensor"/> X * s.
    /// </summary>
    public static string RestoreName(string tensor) => $"{tensor}/unsmooth";

    /// <summary>
    /// The MatMul/Gemm nodes that can be smoothed: a constant 2-D weight read along the input's last axis.
    /// </summary>
    public static bool IsSmoothable(NodeProto n, GraphIndex index)
    {
        if (!OpTraits.HasConstantWeight(n, index) || index.IsInitializer(n.Input[0])) return false;
        if (n.OpType == "Conv") return false;
        if (index.Initializers[n.Input[1]].Dims.Count != 2) return false;
        return n.OpType != "Gemm" || GraphIndex.IntAttr(n, "transA", 0) == 0;
    }

    /// <summary>
    /// The activations to smooth and their consumers, among the nodes <paramref name="selected"/> accepts.
    /// </summary>
    public static List<(string Tensor, List<NodeProto> Consumers)> Groups(GraphProto graph,
        Func<NodeProto, bool> selected)
    {
        var index = new GraphIndex(graph);
        return graph.Node.Where(n => IsSmoothable(n, index) && selected(n))
            .GroupBy(n => n.Input[0], StringComparer.Ordinal)
            .Select(g => (g.Key, g.ToList())).ToList();
    }

    /// <summary>Per last-axis channel of each tensor, over every calibration batch: min, max and max |x|, and a
    /// bounded sample of its rows (<see cref="ChannelStats"/>).</summary>
    public static Dictionary<string, ChannelStats> ChannelStatistics(ModelProto model, string source,
        IReadOnlyCollection<string> tensors, InputSource calibration, RuntimeSettings settings)
    {
        var result = new Dictionary<string, ChannelStats>(StringComparer.Ordinal);
        if (tensors.Count == 0) return result;
        var aug = model.Clone();
        var existing = aug.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = aug.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var wanted = tensors.Where(t => !inputs.Contains(t)).ToList();
        foreach (var t in wanted.Where(t => !existing.Contains(t)))
            aug.Graph.Output.Add(new ValueInfoProto { Name = t,
                Type = new TypeProto { TensorType =
                    new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        // Graph inputs are read from the batches themselves; a session runs only for computed tensors.
        using var runner = wanted.Count == 0 ? null
            : new ModelRunner(aug.ToByteArray(),
                $"{Path.GetFileName(source)} with the activations to smooth as outputs", settings);
        void Reduce(string name, float[] data, int channels)
        {
            if (channels <= 0) return;
            if (!result.TryGetValue(name, out var m)) result[name] = m = new ChannelStats(channels);
            if (m.Channels != channels)
                throw new FpQuantException($"smoothing: tensor '{name}' changes its last axis between batches " +
                    $"({m.Channels} vs {channels})");
            m.Add(data);
        }
        foreach (var batch in calibration.Batches(model, source))
        {
            if (runner != null)
                foreach (var (name, value) in runner.Run(batch, wanted)) Reduce(name, value.Data,
                    value.Shape.Length == 0 ? 0 : value.Shape[^1]);
            foreach (var t in tensors.Where(inputs.Contains))
                if (batch.TryGetValue(t, out var x) && x.Data is float[] f) Reduce(t, f, x.Shape[^1]);
        }
        return result;
    }

    /// <summary>Measures the channels and smooths every group.</summary>
    public static SmoothingResult Apply(ModelProto model, string source, Func<NodeProto, bool> selected,
        Func<SmoothingLayer, double> alphaOf, InputSource calibration, RuntimeSettings settings,
        bool compensate = CompensateByDefault)
    {
        var groups = Groups(model.Graph, selected);
        var stats = ChannelStatistics(model, source, groups.Select(g => g.Tensor).ToList(), calibration, settings);
        return Apply(model, groups, stats, alphaOf, compensate);
    }

    /// <summary>
    /// Smooths with channel statistics already measured on the float model (a search over alpha reuses them).
    /// <paramref name="alphaOf"/> gives each layer its alpha (a constant, or <see cref="AlphaSearch"/>);
    /// <paramref name="compensate"/> folds 1/s into the producer even when X has other readers, which then read X * s
    /// through one inserted Mul (<see cref="CompensateByDefault"/> says why that is the default).
    /// </summary>
    public static SmoothingResult Apply(ModelProto model,
        IReadOnlyList<(string Tensor, List<NodeProto> Consumers)> groups,
        IReadOnlyDictionary<string, ChannelStats> stats, Func<SmoothingLayer, double> alphaOf,
        bool compensate = CompensateByDefault)
    {
        var result = model.Clone();
        var g = result.Graph;
        var inits = g.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var nodes = g.Node.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var index = new GraphIndex(g);
        var done = new List<SmoothedTensor>();
        var newNodes = new List<NodeProto>();
        foreach (var (tensor, consumerProtos) in groups)
        {
            if (!stats.TryGetValue(tensor, out var xStats)) continue;
            var consumers = consumerProtos.Select(c => nodes[c.Name]).ToList();
            int k = xStats.Channels;
            // Every consumer's weight as [k, n] (a transB Gemm's transposed), and max |W_j| over row j of all.
            var weights = new List<LayerWeight>();
            foreach (var c in consumers)
            {
                var w = inits[c.Input[1]];
                bool trans = c.OpType == "Gemm" && GraphIndex.IntAttr(c, "transB", 0) != 0;
                int rows = (int)w.Dims[0], cols = (int)w.Dims[1];
                if ((trans ? cols : rows) != k) break;
                var v = TensorProtos.ToFloats(w);
                if (trans)
                {
                    var t = new float[v.Length];
                    for (int r = 0; r < rows; r++) for (int q = 0; q < cols; q++) t[q * rows + r] = v[r * cols + q];
                    v = t;
                }
                weights.Add(new LayerWeight(v, k, trans ? rows : cols));
            }
            if (weights.Count != consumers.Count) continue;
            var wMax = new float[k];
            foreach (var w in weights)
                for (int j = 0; j < k; j++)
                    for (int q = 0; q < w.Columns; q++)
                    {
                        float a = MathF.Abs(w.Values[j * w.Columns + q]);
                        if (a > wMax[j]) wMax[j] = a;
                    }
            var layer = new SmoothingLayer(tensor, xStats, weights, wMax);
            double alpha = alphaOf(layer);
            var s = layer.Scales(alpha);
            // Weights: row j (column j with transB) times s_j, as a new initializer per consumer.
            foreach (var c in consumers)
            {
                var w = inits[c.Input[1]];
                bool trans = c.OpType == "Gemm" && GraphIndex.IntAttr(c, "transB", 0) != 0;
                int rows = (int)w.Dims[0], cols = (int)w.Dims[1];
                var v = TensorProtos.ToFloats(w);
                for (int r = 0; r < rows; r++) for (int q = 0; q < cols; q++) v[r * cols + q] *= s[trans ? q : r];
                c.Input[1] = AddInit(g, inits, $"{c.Input[1]}/smoothed_for_{c.Name}", v, w.Dims.ToArray());
            }
            var inv = s.Select(x => 1f / x).ToArray();
            var others = index.ConsumersOf(tensor).Where(c => !consumers.Any(x => x.Name == c.Name)).ToList();
            bool output = index.GraphOutputs.Contains(tensor);
            string? folded = !output && (others.Count == 0 || compensate) ? TryFold(g, inits, index, tensor, inv)
                : null;
            if (folded != null && others.Count > 0)
            {
                // X is now X / s; the other readers (a residual Add) get X back through X * s, kept float.
                var restore = new NodeProto { OpType = "Mul", Name = RestoreName(tensor), Domain = "" };
                restore.Input.Add(tensor);
                restore.Input.Add(AddInit(g, inits, $"{tensor}/restore_scale", s, k));
                restore.Output.Add($"{tensor}/restored");
                foreach (var o in others)
                    for (int i = 0; i < o.Input.Count; i++)
                        if (o.Input[i] == tensor) o.Input[i] = restore.Output[0];
                newNodes.Add(restore);
                folded += $", {RestoringMul}";
            }
            if (folded == null)
            {
                string invName = AddInit(g, inits, $"{tensor}/smooth_scale", inv, k);
                var mul = new NodeProto { OpType = "Mul", Name = MulName(tensor), Domain = "" };
                mul.Input.Add(tensor); mul.Input.Add(invName); mul.Output.Add($"{tensor}/smoothed");
                newNodes.Add(mul);
                foreach (var c in consumers) c.Input[0] = $"{tensor}/smoothed";
                folded = InsertedMul;
            }
            done.Add(new SmoothedTensor(tensor, consumers.Select(c => c.Name).ToList(), folded, alpha, s.Max()));
        }
        // Each inserted Mul goes right before the first node that reads it, keeping the graph topologically sorted.
        foreach (var mul in newNodes)
        {
            int at = Enumerable.Range(0, g.Node.Count).First(i => g.Node[i].Input.Contains(mul.Output[0]));
            g.Node.Insert(at, mul);
        }
        Preprocessing.UnreadInitializers.Drop(g);
        return new SmoothingResult(result, done);
    }

    /// <summary>Folds 1/s (per last-axis channel) into the producer of <paramref name="x"/>; the fold's description,
    /// or null when the producer has no exact place for it.</summary>
    private static string? TryFold(GraphProto g, Dictionary<string, TensorProto> inits, GraphIndex index, string x,
        float[] inv)
    {
        if (!index.Producer.TryGetValue(x, out var p)) return null;
        int k = inv.Length;
        bool PerChannel(string name) => inits.TryGetValue(name, out var t)
            && t.DataType == (int)TensorProto.Types.DataType.Float
            && TensorProtos.ElementCount(t) == k && t.Dims.Count >= 1 && t.Dims[^1] == k;
        string Scaled(string name)
        {
            var t = inits[name];
            var v = TensorProtos.ToFloats(t);
            for (int i = 0; i < v.Length; i++) v[i] *= inv[i % k];
            return AddInit(g, inits, $"{name}/smoothed_{x}", v, t.Dims.ToArray());
        }
        bool Single(string t) => index.ConsumersOf(t).Count == 1 && !index.GraphOutputs.Contains(t);
        switch (p.OpType)
        {
            case "LayerNormalization" when GraphIndex.IntAttr(p, "axis", -1) == -1 && p.Output.Count == 1
                && PerChannel(p.Input[1])
                && (p.Input.Count < 3 || p.Input[2].Length == 0 || PerChannel(p.Input[2])):
                p.Input[1] = Scaled(p.Input[1]);
                if (p.Input.Count > 2 && p.Input[2].Length > 0) p.Input[2] = Scaled(p.Input[2]);
                return $"LayerNormalization {p.Name}";
            case "Add":
            {
                // A norm's bias Add after its gamma Mul, or a bias Add after a MatMul: scale the bias, then go on.
                int bi = PerChannel(p.Input[1]) ? 1 : PerChannel(p.Input[0]) ? 0 : -1;
                if (bi < 0) return null;
                string other = p.Input[1 - bi];
                if (!Single(other) || !index.Producer.TryGetValue(other, out var q)) return null;
                if (q.OpType == "Mul")
                {
                    int gi = PerChannel(q.Input[1]) ? 1 : PerChannel(q.Input[0]) ? 0 : -1;
                    if (gi < 0) return null;
                    p.Input[bi] = Scaled(p.Input[bi]);
                    q.Input[gi] = Scaled(q.Input[gi]);
                    // A written-out LayerNorm ends in Div (the normalised input), Mul (gamma), Add (beta).
                    bool norm = index.Producer.TryGetValue(q.Input[1 - gi], out var d) && d.OpType == "Div";
                    string what = norm ? "the LayerNorm's gamma and beta" : "the scale and shift of";
                    return $"{what} {q.Name} / {p.Name}";
                }
                if (q.OpType is "MatMul" or "Gemm" && FoldIntoWeight(g, inits, index, q, inv, x))
                {
                    p.Input[bi] = Scaled(p.Input[bi]);
                    return $"the weights of {q.Name} and the bias {p.Name}";
                }
                return null;
            }
            case "Relu" when Single(p.Input[0]):
            {
                // relu(y) / s = relu(y / s) for s > 0: fold into what produces y.
                if (!index.Producer.TryGetValue(p.Input[0], out var q)) return null;
                string? inner = q.OpType is "MatMul" or "Gemm"
                    && FoldIntoWeight(g, inits, index, q, inv, x) ? $"the weights of {q.Name}"
                    : TryFold(g, inits, index, p.Input[0], inv);
                return inner == null ? null : $"{inner} (through {p.Name})";
            }
            case "MatMul" or "Gemm":
                return FoldIntoWeight(g, inits, index, p, inv, x) ? $"the weights of {p.Name}" : null;
            default:
                return null;
        }
    }

    /// <summary>Divides the output columns of a MatMul/Gemm with a constant weight (and a Gemm's bias) by s.</summary>
    private static bool FoldIntoWeight(GraphProto g, Dictionary<string, TensorProto> inits, GraphIndex index,
        NodeProto q, float[] inv, string x)
    {
        if (!OpTraits.IsWeightedCompute(q.OpType) || q.Input.Count < 2 || !inits.TryGetValue(q.Input[1], out var w)
            || w.Dims.Count != 2) return false;
        if (q.OpType == "Gemm" && (GraphIndex.FloatAttr(q, "alpha", 1) != 1 || GraphIndex.FloatAttr(q, "beta", 1) != 1))
            return false;
        bool trans = q.OpType == "Gemm" && GraphIndex.IntAttr(q, "transB", 0) != 0;
        int rows = (int)w.Dims[0], cols = (int)w.Dims[1], k = inv.Length;
        if ((trans ? rows : cols) != k) return false;
        if (q.OpType == "Gemm" && q.Input.Count > 2 && q.Input[2].Length > 0)
        {
            if (!inits.TryGetValue(q.Input[2], out var b) || TensorProtos.ElementCount(b) != k) return false;
            var bv = TensorProtos.ToFloats(b);
            for (int i = 0; i < k; i++) bv[i] *= inv[i];
            q.Input[2] = AddInit(g, inits, $"{q.Input[2]}/smoothed_{x}", bv, b.Dims.ToArray());
        }
        var v = TensorProtos.ToFloats(w);
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) v[r * cols + c] *= inv[trans ? r : c];
        q.Input[1] = AddInit(g, inits, $"{q.Input[1]}/smoothed_{x}", v, w.Dims.ToArray());
        return true;
    }

    private static string AddInit(GraphProto g, Dictionary<string, TensorProto> inits, string name, float[] values,
        params long[] dims)
    {
        var t = TensorProtos.FromFloats(name, values, dims);
        g.Initializer.Add(t);
        inits[name] = t;
        return name;
    }
}
