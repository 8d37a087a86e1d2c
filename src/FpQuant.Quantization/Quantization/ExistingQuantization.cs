using FpQuant.Core;
using FpQuant.Onnx;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization;

/// <summary>
/// What quantization a model already carries (its top-level graph): QOperator ops (QLinearConv, QGemm, ...), dynamic
/// integer ops (ConvInteger, MatMulInteger, DynamicQuantizeLinear), QDQ pairs on activations, integer weights behind
/// DequantizeLinear (weight-only), float16 weights stored behind a Cast to float32, and float16 compute. `inspect`
/// says it; `quantize` refuses to stack a second quantization on the first, and widens float16 weights that are only
/// stored as float16 (every use a Cast to float32) back to float32 before it starts.
/// </summary>
internal sealed record ExistingQuantization(
    IReadOnlyDictionary<string, int> QOperatorOps,
    IReadOnlyDictionary<string, int> IntegerOps,
    int QuantizeLinear,
    int DequantizeLinear,
    bool WeightOnly,
    int Float16StoredWeights,
    int Float16ComputeWeights)
{
    private static readonly HashSet<string> QOperator = new(StringComparer.Ordinal)
    {
        "QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul", "QLinearConcat", "QLinearSoftmax", "QLinearSigmoid",
        "QLinearLeakyRelu", "QLinearAveragePool", "QLinearGlobalAveragePool", "QLinearReduceMean", "QLinearWhere",
        "QGemm", "QAttention", "QLinearConvTranspose",
    };

    private static readonly HashSet<string> Integer = new(StringComparer.Ordinal)
    {
        "MatMulInteger", "ConvInteger", "DynamicQuantizeLinear", "DynamicQuantizeMatMul", "MatMulIntegerToFloat",
        "DynamicQuantizeLSTM",
    };

    public bool IsInteger => QOperatorOps.Count > 0 || IntegerOps.Count > 0 || QuantizeLinear + DequantizeLinear > 0;
    public bool IsNone => !IsInteger && Float16StoredWeights == 0 && Float16ComputeWeights == 0;

    public static ExistingQuantization Of(ModelProto model)
    {
        var g = model.Graph;
        var inits = g.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        Dictionary<string, int> Count(HashSet<string> ops) => g.Node.Where(n => ops.Contains(n.OpType))
            .GroupBy(n => n.OpType).OrderBy(x => x.Key, StringComparer.Ordinal)
            .ToDictionary(x => x.Key, x => x.Count());
        int q = g.Node.Count(n => n.OpType == "QuantizeLinear"), dq = g.Node.Count(n => n.OpType == "DequantizeLinear");
        bool weightOnly = dq > 0 && q == 0
            && g.Node.Where(n => n.OpType == "DequantizeLinear")
                .All(n => n.Input.Count > 0 && inits.Contains(n.Input[0]));
        var (stored, compute) = Float16Weights(g);
        return new ExistingQuantization(Count(QOperator), Count(Integer), q, dq, weightOnly, stored.Count, compute);
    }

    /// <summary>E.g. "QDQ (12 QuantizeLinear, 14 DequantizeLinear)", or "none (float32)".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        string Ops(IReadOnlyDictionary<string, int> ops) => string.Join(", ", ops.Select(kv => $"{kv.Key} {kv.Value}"));
        if (QOperatorOps.Count > 0) parts.Add($"QOperator ({Ops(QOperatorOps)})");
        if (IntegerOps.Count > 0) parts.Add($"dynamic integer ops ({Ops(IntegerOps)})");
        if (QuantizeLinear + DequantizeLinear > 0)
            parts.Add(WeightOnly ? $"integer weights behind {DequantizeLinear} DequantizeLinear (weight-only)"
                : $"QDQ ({QuantizeLinear} QuantizeLinear, {DequantizeLinear} DequantizeLinear)");
        if (Float16ComputeWeights > 0)
            parts.Add($"float16 compute ({Float16ComputeWeights} float16 initializers used as float16)");
        if (Float16StoredWeights > 0)
            parts.Add($"float16-stored weights ({Float16StoredWeights} float16 initializers behind a Cast to float32)");
        return parts.Count == 0 ? "none (float32)" : string.Join("; ", parts);
    }

    /// <summary>Refuses, in one line, a model whose quantization a second one would stack on.</summary>
    public void RefuseStacking(string modelSource, QuantMode mode)
    {
        if (IsInteger)
            throw new FpQuantException($"{modelSource} is already quantized: {Describe()}; quantizing it again would " +
                $"stack a second quantization on the first: quantize the float model it was made from");
        if (Float16ComputeWeights > 0)
            throw new FpQuantException(mode == QuantMode.Fp16
                ? $"{modelSource} already computes in float16 ({Float16ComputeWeights} float16 initializers used as " +
                    $"float16); there is nothing for fp16 to convert"
                : $"{modelSource} computes in float16 ({Float16ComputeWeights} float16 initializers used as " +
                    $"float16); fpquant's int8 modes quantize float32 graphs: quantize the float32 model it was made " +
                    $"from");
    }

    /// <summary>The model with every float16 initializer whose uses are all Casts to float32 stored as float32 under
    /// the Casts' output names, and those Casts removed: the same values, now weights the quantizer can see.</summary>
    public static ModelProto WidenFloat16StoredWeights(ModelProto model, List<string> notes)
    {
        var (stored, _) = Float16Weights(model.Graph);
        if (stored.Count == 0) return model;
        var m = model.Clone();
        var g = m.Graph;
        var casts = g.Node.Where(n => n.OpType == "Cast" && n.Input.Count == 1 && stored.Contains(n.Input[0])).ToList();
        foreach (var cast in casts)
        {
            var half = g.Initializer.First(i => i.Name == cast.Input[0]);
            var t = TensorProtos.ToTensor(half)!;
            var floats = ((Half[])t.Data).Select(h => (float)h).ToArray();
            g.Initializer.Add(TensorProtos.FromFloats(cast.Output[0], floats, half.Dims.ToArray()));
            g.Node.Remove(cast);
        }
        foreach (var name in stored)
        {
            g.Initializer.Remove(g.Initializer.First(i => i.Name == name));
            var input = g.Input.FirstOrDefault(i => i.Name == name);
            if (input != null) g.Input.Remove(input);
        }
        notes.Add(
            $"{stored.Count} float16-stored weight(s) behind a Cast to float32 widened to float32 first (same values)");
        return m;
    }

    /// <summary>float16 initializers every use of which is a Cast to float32 (not graph outputs), and the number of
    /// float16 initializers used otherwise.</summary>
    private static (HashSet<string> Stored, int Compute) Float16Weights(GraphProto g)
    {
        var half = g.Initializer.Where(i => i.DataType == (int)DataType.Float16).Select(i => i.Name)
            .ToHashSet(StringComparer.Ordinal);
        if (half.Count == 0) return (new HashSet<string>(StringComparer.Ordinal), 0);
        var outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        int compute = 0;
        foreach (var name in half)
        {
            var uses = g.Node.Where(n => n.Input.Contains(name)).ToList();
            bool castsOnly = uses.Count > 0 && !outputs.Contains(name)
                && uses.All(n => n.OpType == "Cast" && n.Input.Count == 1
                && n.Attribute.Any(a => a.Name == "to" && a.I == (long)DataType.Float));
            if (castsOnly) stored.Add(name);
            else if (uses.Count > 0) compute++;
        }
        return (stored, compute);
    }
}
