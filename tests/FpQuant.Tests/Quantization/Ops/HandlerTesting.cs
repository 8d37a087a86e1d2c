using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>
/// What the per-handler test classes share: quantize a tiny model calibrated on the batch it is then run on (so no
/// value is clamped and every error is a rounding error), run float and quantized in ONNX Runtime, and read the graph.
/// </summary>
internal static class HandlerTesting
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    public static QuantizationResult Static(ModelProto m, QuantFormat format, Dictionary<string, FloatTensor> batch) =>
        Quantize(m, new QuantizationOptions { Format = format }, batch);

    /// <summary>Quantizes with the options; <paramref name="batch"/> is the calibration batch (null where the mode
    /// takes none).</summary>
    public static QuantizationResult Quantize(ModelProto m, QuantizationOptions options,
        Dictionary<string, FloatTensor>? batch) =>
        ModelQuantizer.Quantize(m, "tiny", options, null,
            batch == null ? null : new InMemoryInputSource(new[] { batch }), Cpu);

    /// <summary>The model's outputs by name, run in ONNX Runtime.</summary>
    public static Dictionary<string, FloatTensor> Run(ModelProto m, Dictionary<string, FloatTensor> feed)
    {
        using var runner = new ModelRunner(OnnxModelFile.Serialize(m), "tiny", Cpu);
        return runner.Run(feed).ToDictionary(o => o.Name, o => o.Value);
    }

    public static NodeProto Node(ModelProto m, string opType) => Assert.Single(m.Graph.Node, n => n.OpType == opType);

    public static NodeProto? Producer(ModelProto m, string tensor) =>
        m.Graph.Node.SingleOrDefault(n => n.Output.Contains(tensor));

    public static List<NodeProto> Consumers(ModelProto m, string tensor) =>
        m.Graph.Node.Where(n => n.Input.Contains(tensor)).ToList();

    public static TensorProto Initializer(ModelProto m, string name) =>
        Assert.Single(m.Graph.Initializer, i => i.Name == name);

    /// <summary>The single value of a per-tensor scale or zero-point initializer.</summary>
    public static float Scalar(ModelProto m, string name)
    {
        var t = Initializer(m, name);
        return t.DataType == (int)DataType.Float ? TensorProtos.ToFloats(t).Single() : IntegerValues(t).Single();
    }

    public static int[] IntegerValues(TensorProto t) => t.DataType switch
    {
        (int)DataType.Uint8 => t.RawData.Length > 0 ? t.RawData.Select(b => (int)b).ToArray() : [.. t.Int32Data],
        (int)DataType.Int8 => t.RawData.Length > 0 ? t.RawData.Select(b => (int)(sbyte)b).ToArray() : [.. t.Int32Data],
        _ => throw new ArgumentException($"{t.Name} is not an 8-bit integer tensor"),
    };

    /// <summary>(scale, zero point) of a QuantizeLinear or DequantizeLinear node, read from its initializers.</summary>
    public static (float Scale, float ZeroPoint) QParams(ModelProto m, NodeProto qdq) =>
        (Scalar(m, qdq.Input[1]), Scalar(m, qdq.Input[2]));

    /// <summary>A value dequantized with (s, zp) is (q - zp) s for an integer q: v / s is an integer to float
    /// precision. A value that went through a different scale lies off this grid.</summary>
    public static void AssertOnGrid(FloatTensor t, QuantParams p, string what)
    {
        double s = p.Scale[0];
        for (int i = 0; i < t.Data.Length; i++)
        {
            double k = t.Data[i] / s;
            Assert.True(Math.Abs(k - Math.Round(k)) < 1e-3,
                $"{what} element {i}: {t.Data[i]} is not a multiple of the step {s}");
        }
    }

    public static void AssertWithin(FloatTensor expected, FloatTensor actual, Func<int, double> bound, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        for (int i = 0; i < expected.Data.Length; i++)
        {
            double b = bound(i);
            Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= b,
                $"{what} element {i}: float {expected.Data[i]}, quantized {actual.Data[i]}, bound {b}");
        }
    }

    // ---- the data-movement handlers: an Add quantizes its output, the op under test moves it, an Add reads it ----

    /// <summary>
    /// A + B = "sum" (both of <paramref name="shape"/>), then <paramref name="op"/> of "sum" makes the outputs; each
    /// output Y is a graph output and is also read by a quantized consumer, Y + D_Y = Z_Y, so that the quantizer has
    /// to hand the op's integers on.
    /// </summary>
    public static ModelProto SumThen(int[] shape, Action<GraphBuilder, string> op,
        params (string Name, int[] Shape)[] outputs)
    {
        var g = new GraphBuilder("sum-then-op");
        var dims = shape.Select(d => (Dim)d).ToArray();
        string a = g.Input("A", DataType.Float, dims);
        string b = g.Input("B", DataType.Float, dims);
        string sum = g.Node("Add", "sum", new[] { a, b });
        op(g, sum);
        foreach (var (name, outShape) in outputs)
        {
            var outDims = outShape.Select(x => (Dim)x).ToArray();
            string d = g.Input($"D_{name}", DataType.Float, outDims);
            g.NodeMulti("Add", $"add_{name}", new[] { name, d }, new[] { $"Z_{name}" });
            g.Output(name, DataType.Float, outDims);
            g.Output($"Z_{name}", DataType.Float, outDims);
        }
        return g.Build();
    }

    private static int[] Shape(ValueInfoProto v) => v.Type.TensorType.Shape.Dim.Select(d => (int)d.DimValue).ToArray();

    /// <summary>A in [-2, 2] and B in [-1, 1] (two different steps going into the sum), each D in
    /// [-1.5, 1.5].</summary>
    public static Dictionary<string, FloatTensor> SumFeed(ModelProto m, ulong seed)
    {
        var feed = new Dictionary<string, FloatTensor>();
        ulong k = seed;
        foreach (var input in m.Graph.Input)
        {
            float range = input.Name switch { "A" => 2f, "B" => 1f, _ => 1.5f };
            feed[input.Name] = TinyModels.Random(k++, range, Shape(input));
        }
        return feed;
    }

    /// <summary>
    /// The float error of every element of "sum" after quantization: A and B are rounded to their steps (at most
    /// half a step each), their sum is rounded to the sum's step (half a step more). An op that only moves or selects
    /// elements of "sum" (max of rounded values is the rounded max, rounding being monotone) adds nothing to this.
    /// </summary>
    public static double SumBound(QuantizationResult r) =>
        r.Params["A"].Scale[0] / 2 + r.Params["B"].Scale[0] / 2 + r.Params["sum"].Scale[0] / 2 + 1e-5;

    /// <summary>
    /// The op under test runs on the integers of "sum" and its outputs keep "sum"'s scale and zero point: in
    /// QOperator form its data input is QLinearAdd's integer output and the next QLinearAdd reads its integer output,
    /// which is dequantized with "sum"'s parameters for the graph output; in QDQ form it sits between a
    /// DequantizeLinear and a QuantizeLinear of the same parameters (the pattern ONNX Runtime folds into the integer
    /// op). The plan records the same parameters for every output.
    /// </summary>
    public static void AssertMovesIntegersOfSum(ModelProto source, QuantizationResult r, string opType,
        QuantFormat format)
    {
        var m = r.Model;
        var node = Node(m, opType);
        var sum = r.Params["sum"];
        var expected = (sum.Scale[0], (float)sum.ZeroPoint[0]);
        foreach (var o in Node(source, opType).Output)
        {
            Assert.Equal(sum.Scale, r.Params[o].Scale);
            Assert.Equal(sum.ZeroPoint, r.Params[o].ZeroPoint);
        }
        var producer = Producer(m, node.Input[0]);
        Assert.NotNull(producer);
        if (format == QuantFormat.QOperator)
        {
            Assert.Equal("QLinearAdd", producer!.OpType);
            Assert.Equal(expected, (Scalar(m, producer.Input[6]), Scalar(m, producer.Input[7])));
            foreach (var o in node.Output)
            {
                var consumers = Consumers(m, o);
                Assert.Contains(consumers, c => c.OpType == "QLinearAdd" && c.Input[0] == o);
                Assert.Equal(expected, QParams(m, Assert.Single(consumers, c => c.OpType == "DequantizeLinear")));
            }
        }
        else
        {
            Assert.Equal("DequantizeLinear", producer!.OpType);
            Assert.Equal(expected, QParams(m, producer));
            foreach (var o in node.Output)
            {
                var q = Assert.Single(Consumers(m, o));
                Assert.Equal("QuantizeLinear", q.OpType);
                Assert.Equal(expected, QParams(m, q));
            }
        }
    }

    /// <summary>Quantizes a <see cref="SumThen"/> model in the format and checks the whole contract of a
    /// data-movement handler: integers moved with "sum"'s parameters, outputs on "sum"'s grid and within
    /// <see cref="SumBound"/> of float; each consumer's sum within that plus D's and its own half steps.</summary>
    public static QuantizationResult CheckMovesSum(ModelProto m, string opType, QuantFormat format, ulong seed)
    {
        var feed = SumFeed(m, seed);
        var r = Static(m, format, feed);
        Assert.Contains("sum", r.QuantizedNodes);
        Assert.Contains(Node(m, opType).Name, r.QuantizedNodes);
        AssertMovesIntegersOfSum(m, r, opType, format);
        var f = Run(m, feed);
        var q = Run(r.Model, feed);
        double bound = SumBound(r);
        foreach (var y in Node(m, opType).Output)
        {
            AssertOnGrid(q[y], r.Params["sum"], $"{opType} {format} {y}");
            AssertWithin(f[y], q[y], _ => bound, $"{opType} {format} {y}");
            double zBound = bound + r.Params[$"D_{y}"].Scale[0] / 2 + r.Params[$"Z_{y}"].Scale[0] / 2;
            AssertWithin(f[$"Z_{y}"], q[$"Z_{y}"], _ => zBound, $"{opType} {format} Z_{y}");
        }
        return r;
    }
}
