using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Tests.Support;
using Onnx;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>
/// Mul (BinaryQuantizer -> QLinearMul): both operands and the product are quantized; a constant operand is stored as
/// integers. Error of one product: with a' = a + ea, b' = b + eb, |ea| &lt;= sa/2, |eb| &lt;= sb/2,
/// |a'b' - ab| = |a eb + b ea + ea eb| &lt;= |a| sb/2 + |b| sa/2 + sa sb/4, and the product's own rounding adds sy/2.
/// </summary>
[Trait("Category", "Quick")]
public class MulHandlerTests
{
    private static double ProductBound(double a, double b, double sa, double sb, double sy) =>
        Math.Abs(a) * sb / 2 + Math.Abs(b) * sa / 2 + sa * sb / 4 + sy / 2 + 1e-5;

    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void MulOfTwoActivations_WithinTheProductBound(QuantFormat format)
    {
        var g = new GraphBuilder("mul");
        string a = g.Input("A", DataType.Float, 3, 8);
        string b = g.Input("B", DataType.Float, 3, 8);
        g.NodeMulti("Mul", "mul", new[] { a, b }, new[] { "Y" });
        g.Output("Y", DataType.Float, 3, 8);
        var m = g.Build();
        var feed = new Dictionary<string, FloatTensor>
        {
            ["A"] = TinyModels.Random(211, 2f, 3, 8),
            ["B"] = TinyModels.Random(212, 1.5f, 3, 8),
        };
        var r = Static(m, format, feed);
        Assert.Contains("mul", r.QuantizedNodes);
        if (format == QuantFormat.QOperator)
        {
            var node = Node(r.Model, "QLinearMul");
            Assert.Equal("com.microsoft", node.Domain);
            Assert.DoesNotContain(r.Model.Graph.Node, n => n.OpType == "Mul");
        }
        else
        {
            // Y is a graph output read by nothing else: it is left as the float product of the dequantized operands.
            var node = Node(r.Model, "Mul");
            Assert.All(node.Input, i => Assert.Equal("DequantizeLinear", Producer(r.Model, i)!.OpType));
            Assert.Equal(new[] { "Y" }, node.Output);
        }
        double sa = r.Params["A"].Scale[0], sb = r.Params["B"].Scale[0], sy = r.Params["Y"].Scale[0];
        var f = Run(m, feed)["Y"];
        var q = Run(r.Model, feed)["Y"];
        if (format == QuantFormat.QOperator) AssertOnGrid(q, r.Params["Y"], "QOperator Y");
        AssertWithin(f, q, i => ProductBound(feed["A"].Data[i], feed["B"].Data[i], sa, sb, sy), $"{format} Y");
    }

    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void MulByAConstant_StoresTheConstantAsIntegers(QuantFormat format)
    {
        var g = new GraphBuilder("mul-const");
        string x = g.Input("X", DataType.Float, 3, 8);
        var cv = TinyModels.Random(221, 0.8f, 8);
        string c = g.Initializer("gain", cv);
        g.NodeMulti("Mul", "mul", new[] { x, c }, new[] { "Y" });
        g.Output("Y", DataType.Float, 3, 8);
        var m = g.Build();
        var feed = new Dictionary<string, FloatTensor> { ["X"] = TinyModels.Random(222, 2f, 3, 8) };
        var r = Static(m, format, feed);
        Assert.Contains("mul", r.QuantizedNodes);
        // The float constant is gone; what the op reads for it is an 8-bit integer initializer.
        Assert.DoesNotContain(r.Model.Graph.Initializer, i => i.Name == "gain");
        // QLinearMul(a, a scale, a zero point, b, b scale, b zero point, ...); in QDQ form Mul reads
        // DequantizeLinear(b, b scale, b zero point).
        var reader = format == QuantFormat.QOperator
            ? Node(r.Model, "QLinearMul").Input.Skip(3).Take(3).ToArray()
            : Producer(r.Model, Node(r.Model, "Mul").Input[1])!.Input.ToArray();
        var stored = Initializer(r.Model, reader[0]);
        Assert.Equal((int)(r.Options.ActivationType == QuantType.S8 ? DataType.Int8 : DataType.Uint8), stored.DataType);
        // The constant is rounded to its own step like any operand: (q - zp) sc is within half a step of it.
        double sx = r.Params["X"].Scale[0], sc = r.Params["gain"].Scale[0], sy = r.Params["Y"].Scale[0];
        Assert.Equal((float)sc, Scalar(r.Model, reader[1]));
        float zp = Scalar(r.Model, reader[2]);
        var q8 = IntegerValues(stored);
        Assert.Equal(8, q8.Length);
        for (int i = 0; i < 8; i++)
            Assert.True(Math.Abs((q8[i] - zp) * sc - cv.Data[i]) <= sc / 2 + 1e-6, $"{format} gain[{i}]");
        var f = Run(m, feed)["Y"];
        var q = Run(r.Model, feed)["Y"];
        AssertWithin(f, q, i => ProductBound(feed["X"].Data[i], cv.Data[i % 8], sx, sc, sy), $"{format} Y");
    }
}
