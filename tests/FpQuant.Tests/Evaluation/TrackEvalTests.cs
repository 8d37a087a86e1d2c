using FpQuant.Datasets;
using FpQuant.Evaluation;
using FpQuant.Geometry;

namespace FpQuant.Tests.Evaluation;

[Trait("Category", "Quick")]
public class TrackEvalTests
{
    private static EvalObjectModel Model() =>
        new(new BopModelInfo(1, 100, default, default, Array.Empty<Pose>(), Array.Empty<BopContinuousSymmetry>()),
        new float[] { 0, 0, 0, 10, 0, 0, 0, 10, 0 });

    [Fact]
    public void Summary_DriftIsTheMeanErrorPerFrameIndex_AndItsLeastSquaresSlope_OverAllSequences()
    {
        // Two sequences of 4 frames: ADD-S = 2 i and 4 i (mm) at frame index i, so the mean is 3 i and the slope 3.
        var frames = new List<TrackEvalFrame>();
        foreach (int k in new[] { 2, 4 })
            for (int i = 0; i < 4; i++)
                frames.Add(new TrackEvalFrame("v", k, 1, i, i + 1, 2.0 * k * i, k * i, i == 0 ? 500 : 10 + i, i == 0,
                    i == 2 && k == 4, null));
        var v = new TrackEvalVariant { Name = "v" };
        TrackEval.Summarize(v, frames, new Dictionary<int, EvalObjectModel> { [1] = Model() });
        Assert.Equal(8, v.Frames);
        Assert.Equal(new[] { 0.0, 3, 6, 9 }, v.DriftAddsMm);
        Assert.Equal(3.0, v.DriftSlopeMmPerFrame, 12);
        Assert.Equal(1, v.LostFrames);
        Assert.Equal(0, v.Reregistrations);
        // Time per tracked frame: the registered first frames (500 ms) are not tracking steps.
        Assert.Equal(12.0, v.MedianMsPerFrame);
        Assert.Equal(0.5, v.MedianFirstFrameSeconds);
        // AUC over all 8 frames (ADD-S 0, 2, 4, 6, 0, 4, 8, 12 mm): the mean of (1 - e/100) for errors under 100 mm.
        double expected = 100 * new[] { 0.0, 2, 4, 6, 0, 4, 8, 12 }.Average(e => 1 - e / 100);
        Assert.Equal(expected, v.AucAdds, 6);
        // ADD(-S) < 0.1 d (10 mm, no symmetry: ADD = 2 ADD-S here): 0, 4, 8 of the first, 0, 8 of the second.
        Assert.Equal(100 * 5 / 8.0, v.AddOrAdds01d, 9);
    }
}
