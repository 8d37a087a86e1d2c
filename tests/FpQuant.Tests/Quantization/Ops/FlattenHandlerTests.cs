using FpQuant.Quantization;
using Onnx;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>Flatten (DataMovementQuantizer): flattens the integers to 2-D, keeping the scale.</summary>
[Trait("Category", "Quick")]
public class FlattenHandlerTests
{
    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void Flatten_MovesTheIntegers_AndPassesTheScaleThrough(QuantFormat format)
    {
        var m = SumThen([2, 4, 6],
            (g, sum) => g.NodeMulti("Flatten", "flatten", new[] { sum }, new[] { "Y" }, ("axis", 2L)),
            ("Y", [8, 6]));
        var r = CheckMovesSum(m, "Flatten", format, seed: 141);
        Assert.Equal(2, Node(r.Model, "Flatten").Attribute.Single(a => a.Name == "axis").I);
    }
}
