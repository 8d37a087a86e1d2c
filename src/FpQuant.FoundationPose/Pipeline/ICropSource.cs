using FpQuant.Geometry;

namespace FpQuant.Pipeline;

/// <summary>Supplies rendered/observed crop pairs for hypotheses [start, start + count) at a refine iteration
/// (or for scoring, iteration = -1).</summary>
internal interface ICropSource
{
    string Description { get; }
    CropBatch Crops(IReadOnlyList<Pose> poses, int start, int count, int iteration);

    /// <summary>The same crops written as NCHW into buffers the caller owns (count x 6 x 160 x 160 each), so a loop
    /// reuses one pair of buffers; returns the seconds spent rendering and cropping.</summary>
    (double RenderSeconds, double CropSeconds) Fill(IReadOnlyList<Pose> poses, int start, int count, int iteration,
        Memory<float> rendered, Memory<float> observed)
    {
        var b = Crops(poses, start, count, iteration);
        b.Rendered.Data.CopyTo(rendered.Span);
        b.Observed.Data.CopyTo(observed.Span);
        return (b.RenderSeconds, b.CropSeconds);
    }
}
