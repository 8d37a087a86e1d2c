using FpQuant.Quantization;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>Split (DataMovementQuantizer): every output is a piece of the input's integers and shares the input's
/// scale and zero point, although each piece has a narrower range of its own.</summary>
[Trait("Category", "Quick")]
public class SplitHandlerTests
{
    [Theory]
    [InlineData(QuantFormat.Qdq)]
    [InlineData(QuantFormat.QOperator)]
    public void Split_EveryOutputSharesTheInputsScale(QuantFormat format)
    {
        var m = SumThen([2, 4, 6],
            (g, sum) => g.NodeMulti("Split", "split", new[] { sum, g.ConstantInt64("parts", 2, 4) },
                new[] { "P0", "P1" }, ("axis", 2L)),
            ("P0", [2, 4, 2]), ("P1", [2, 4, 4]));
        var r = CheckMovesSum(m, "Split", format, seed: 151);
        Assert.Equal(r.Params["P0"].Scale, r.Params["P1"].Scale);
        Assert.Equal(r.Params["P0"].ZeroPoint, r.Params["P1"].ZeroPoint);
        // Calibrated on their own, the pieces would get other steps: one spans less than the whole input.
        var feed = SumFeed(m, 151);
        var f = Run(m, feed);
        double whole = Span(feed["A"].Data.Zip(feed["B"].Data, (a, b) => a + b).ToArray());
        Assert.True(Math.Min(Span(f["P0"].Data), Span(f["P1"].Data)) < whole,
            "the test needs pieces narrower than the input");
        Assert.Equal("parts", Node(r.Model, "Split").Input[1]);
    }

    private static double Span(float[] v) => v.Max() - v.Min();
}
