using FpQuant.Quantization;
using Onnx;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>Squeeze (DataMovementQuantizer): drops a unit axis of the integers, keeping the scale; the axes input
/// is left as it is.</summary>
[Trait("Category", "Quick")]
public class SqueezeHandlerTests
{
    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void Squeeze_MovesTheIntegers_AndPassesTheScaleThrough(QuantFormat format)
    {
        var m = SumThen([2, 1, 6],
            (g, sum) => g.NodeMulti("Squeeze", "squeeze", new[] { sum, g.ConstantInt64("axes", 1) }, new[] { "Y" }),
            ("Y", [2, 6]));
        var r = CheckMovesSum(m, "Squeeze", format, seed: 121);
        Assert.Equal("axes", Node(r.Model, "Squeeze").Input[1]);
    }
}
