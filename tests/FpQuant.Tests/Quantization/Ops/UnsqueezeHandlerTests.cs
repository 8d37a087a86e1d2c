using FpQuant.Quantization;
using Onnx;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>Unsqueeze (DataMovementQuantizer): adds a unit axis to the integers, keeping the scale.</summary>
[Trait("Category", "Quick")]
public class UnsqueezeHandlerTests
{
    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void Unsqueeze_MovesTheIntegers_AndPassesTheScaleThrough(QuantFormat format)
    {
        var m = SumThen([2, 4, 6],
            (g, sum) => g.NodeMulti("Unsqueeze", "unsqueeze", new[] { sum, g.ConstantInt64("axes", 1) }, new[] { "Y" }),
            ("Y", [2, 1, 4, 6]));
        var r = CheckMovesSum(m, "Unsqueeze", format, seed: 131);
        Assert.Equal("axes", Node(r.Model, "Unsqueeze").Input[1]);
    }
}
