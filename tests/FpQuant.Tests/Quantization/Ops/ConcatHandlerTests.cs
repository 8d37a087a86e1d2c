using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Tests.Support;
using Onnx;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>Concat (ConcatQuantizer -> QLinearConcat): each input keeps its own scale, the output has one scale for
/// the whole (calibrated on the concatenation), so inputs of different ranges meet in one grid.</summary>
[Trait("Category", "Quick")]
public class ConcatHandlerTests
{
    /// <summary>A[2,3] in [-1, 1] and B[2,5] in [-10, 10], concatenated on axis 1 into Y, a graph output that a
    /// quantized Add (Y + D = Z) also reads, so Y's integers are handed on.</summary>
    private static (ModelProto Model, Dictionary<string, FloatTensor> Feed) NarrowAndWide()
    {
        var g = new GraphBuilder("concat");
        string a = g.Input("A", DataType.Float, 2, 3);
        string b = g.Input("B", DataType.Float, 2, 5);
        string d = g.Input("D", DataType.Float, 2, 8);
        g.NodeMulti("Concat", "concat", new[] { a, b }, new[] { "Y" }, ("axis", 1L));
        g.NodeMulti("Add", "add", new[] { "Y", d }, new[] { "Z" });
        g.Output("Y", DataType.Float, 2, 8);
        g.Output("Z", DataType.Float, 2, 8);
        var feed = new Dictionary<string, FloatTensor>
        {
            ["A"] = TinyModels.Random(201, 1f, 2, 3),
            ["B"] = TinyModels.Random(202, 10f, 2, 5),
            ["D"] = TinyModels.Random(203, 1f, 2, 8),
        };
        return (g.Build(), feed);
    }

    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void Concat_InputsOfDifferentRanges_KeepTheirScales_TheOutputHasOne(QuantFormat format)
    {
        var (m, feed) = NarrowAndWide();
        var r = Static(m, format, feed);
        Assert.Contains("concat", r.QuantizedNodes);
        float sa = r.Params["A"].Scale[0], sb = r.Params["B"].Scale[0], sy = r.Params["Y"].Scale[0];
        // B's range is about ten times A's, so is its step; B's range contains A's, so the output's range is B's.
        Assert.True(sb > 5 * sa, $"steps A {sa}, B {sb}");
        var a = feed["A"].Data; var b = feed["B"].Data;
        Assert.True(b.Min() < a.Min() && b.Max() > a.Max(), "the test needs B's range to contain A's");
        Assert.Equal(sb, sy);
        Assert.Equal(r.Params["B"].ZeroPoint, r.Params["Y"].ZeroPoint);

        var node = Node(r.Model, format == QuantFormat.QOperator ? "QLinearConcat" : "Concat");
        if (format == QuantFormat.QOperator)
        {
            // QLinearConcat(Y scale, Y zero point, then per input: integers, scale, zero point).
            Assert.Equal("com.microsoft", node.Domain);
            Assert.Equal(1, node.Attribute.Single(x => x.Name == "axis").I);
            Assert.Equal(sy, Scalar(r.Model, node.Input[0]));
            Assert.Equal(sa, Scalar(r.Model, node.Input[3]));
            Assert.Equal(sb, Scalar(r.Model, node.Input[6]));
            Assert.Contains(Consumers(r.Model, node.Output[0]), c => c.OpType == "QLinearAdd");
        }
        else
        {
            var inputs = node.Input.Select(i => Producer(r.Model, i)).ToList();
            Assert.All(inputs, p => Assert.Equal("DequantizeLinear", p!.OpType));
            Assert.Equal(sa, QParams(r.Model, inputs[0]!).Scale);
            Assert.Equal(sb, QParams(r.Model, inputs[1]!).Scale);
            var q = Assert.Single(Consumers(r.Model, node.Output[0]));
            Assert.Equal("QuantizeLinear", q.OpType);
            Assert.Equal(sy, QParams(r.Model, q).Scale);
        }

        // An element of A is rounded to A's step (half a step), then to the output's step (half of that); B's likewise.
        // In QDQ form the graph output Y is the float Concat of the dequantized inputs (only the Add reads the
        // requantized Y), so only QOperator's Y lies on the output's grid.
        var f = Run(m, feed);
        var q8 = Run(r.Model, feed);
        if (format == QuantFormat.QOperator) AssertOnGrid(q8["Y"], r.Params["Y"], "QOperator Y");
        Func<int, double> yBound = i => (i % 8 < 3 ? sa : sb) / 2 + sy / 2 + 1e-5;
        AssertWithin(f["Y"], q8["Y"], yBound, $"{format} Y");
        // Z = Y + D: Y's error, D's half step, Z's half step.
        double sd = r.Params["D"].Scale[0], sz = r.Params["Z"].Scale[0];
        AssertWithin(f["Z"], q8["Z"], i => yBound(i) + sd / 2 + sz / 2, $"{format} Z");
    }
}
