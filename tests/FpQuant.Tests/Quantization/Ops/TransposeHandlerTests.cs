using FpQuant.Quantization;
using Onnx;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>Transpose (DataMovementQuantizer): a quantized input is transposed as integers with its scale; a float
/// input does not start quantization.</summary>
[Trait("Category", "Quick")]
public class TransposeHandlerTests
{
    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void Transpose_MovesTheIntegers_AndPassesTheScaleThrough(QuantFormat format)
    {
        var m = SumThen([2, 4, 6],
            (g, sum) => g.NodeMulti("Transpose", "transpose", new[] { sum }, new[] { "Y" },
                ("perm", new long[] { 0, 2, 1 })),
            ("Y", [2, 6, 4]));
        CheckMovesSum(m, "Transpose", format, seed: 111);
    }

    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void Transpose_OfAFloatInput_StaysFloat_ItsConsumerQuantizesItsOutput(QuantFormat format)
    {
        var g = new FpQuant.Onnx.GraphBuilder("transpose-first");
        string x = g.Input("X", TensorProto.Types.DataType.Float, 2, 4, 6);
        string b = g.Input("B", TensorProto.Types.DataType.Float, 2, 6, 4);
        string t = g.Node("Transpose", "transpose", new[] { x }, ("perm", new long[] { 0, 2, 1 }));
        g.NodeMulti("Add", "add", new[] { t, b }, new[] { "Y" });
        g.Output("Y", TensorProto.Types.DataType.Float, 2, 6, 4);
        var m = g.Build();
        var feed = new Dictionary<string, FpQuant.Core.FloatTensor>
        {
            ["X"] = Support.TinyModels.Random(115, 2f, 2, 4, 6),
            ["B"] = Support.TinyModels.Random(116, 1f, 2, 6, 4),
        };
        var r = Static(m, format, feed);
        Assert.DoesNotContain("transpose", r.QuantizedNodes);
        Assert.Contains("add", r.QuantizedNodes);
        Assert.False(r.Params.ContainsKey("X"));
        // The Transpose reads the graph input itself: nothing was quantized before it.
        Assert.Equal("X", Node(r.Model, "Transpose").Input[0]);
        // Its output is rounded once, by the Add's input quantization, and the sum once more.
        var f = Run(m, feed)["Y"];
        var q = Run(r.Model, feed)["Y"];
        double bound = r.Params["transpose"].Scale[0] / 2 + r.Params["B"].Scale[0] / 2
            + r.Params["Y"].Scale[0] / 2 + 1e-5;
        AssertWithin(f, q, _ => bound, $"{format} Y");
    }
}
