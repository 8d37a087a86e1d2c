using FpQuant.Quantization;
using Onnx;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>Reshape (DataMovementQuantizer): the quantized input is reshaped as integers and keeps its scale; the
/// shape input is left as it is.</summary>
[Trait("Category", "Quick")]
public class ReshapeHandlerTests
{
    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void Reshape_MovesTheIntegers_AndPassesTheScaleThrough(QuantFormat format)
    {
        var m = SumThen([2, 4, 6],
            (g, sum) => g.NodeMulti("Reshape", "reshape", new[] { sum, g.ConstantInt64("shape", 2, 24) },
                new[] { "Y" }),
            ("Y", [2, 24]));
        var r = CheckMovesSum(m, "Reshape", format, seed: 101);
        var reshape = Node(r.Model, "Reshape");
        Assert.Equal("shape", reshape.Input[1]);
        Assert.Equal((int)TensorProto.Types.DataType.Int64, Initializer(r.Model, "shape").DataType);
    }
}
