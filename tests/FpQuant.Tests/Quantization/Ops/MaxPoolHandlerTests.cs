using FpQuant.Quantization;
using Onnx;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>MaxPool (DataMovementQuantizer): pools the integers and keeps the input's scale and zero point, not one
/// calibrated on its own (narrower) output range. Rounding is monotone, so the max of rounded values is the rounded
/// max and the pool adds no error.</summary>
[Trait("Category", "Quick")]
public class MaxPoolHandlerTests
{
    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void MaxPool_KeepsTheInputsScale(QuantFormat format)
    {
        var m = SumThen([1, 2, 4, 6],
            (g, sum) => g.NodeMulti("MaxPool", "pool", new[] { sum }, new[] { "Y" },
                ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })),
            ("Y", [1, 2, 2, 3]));
        var r = CheckMovesSum(m, "MaxPool", format, seed: 161);
        // The pooled values have a higher minimum than the input: a scale of their own would differ from the input's.
        var feed = SumFeed(m, 161);
        var f = Run(m, feed)["Y"];
        var sum = feed["A"].Data.Zip(feed["B"].Data, (a, b) => a + b).ToArray();
        Assert.True(f.Data.Min() > sum.Min(), "the pool's output range should be narrower than its input's");
        Assert.Equal(r.Params["sum"].Scale, r.Params["Y"].Scale);
    }
}
