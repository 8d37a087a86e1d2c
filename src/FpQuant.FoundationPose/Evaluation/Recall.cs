namespace FpQuant.Evaluation;

/// <summary>
/// Recall summaries over many instances. A missing estimate (a failed first frame) counts as infinitely wrong.
/// </summary>
internal static class Recall
{
    /// <summary>BOP's MSSD thresholds: 0.05 to 0.50 of the object's diameter in steps of 0.05.</summary>
    public static readonly double[] MssdFractions = Enumerable.Range(1, 10).Select(i => 0.05 * i).ToArray();
    /// <summary>
    /// BOP's MSPD thresholds: 5 to 50 pixels in steps of 5, for a 640-pixel-wide image (scaled by width / 640).
    /// </summary>
    public static readonly double[] MspdPixels = Enumerable.Range(1, 10).Select(i => 5.0 * i).ToArray();
    /// <summary>The YCB-Video AUC's upper limit: 0.1 m.</summary>
    public const double AucMaxMm = 100;

    /// <summary>Fraction of errors strictly below the threshold.</summary>
    public static double Below(IReadOnlyList<double> errors, double threshold) =>
        errors.Count == 0 ? 0 : (double)errors.Count(e => e < threshold) / errors.Count;

    /// <summary>Area under the accuracy-threshold curve from 0 to <paramref name="maxMm"/>, divided by
    /// <paramref name="maxMm"/> (0..1): the curve's value at t is the fraction of errors up to t, so each instance
    /// adds (max - e) / max when e is under max and nothing otherwise, integrated exactly.</summary>
    public static double Auc(IReadOnlyList<double> errorsMm, double maxMm = AucMaxMm) =>
        errorsMm.Count == 0 ? 0 : errorsMm.Sum(e => e < maxMm ? (maxMm - e) / maxMm : 0) / errorsMm.Count;

    /// <summary>
    /// The accuracy-threshold curve at <paramref name="points"/> + 1 evenly spaced thresholds 0..max.
    /// </summary>
    public static (double[] Thresholds, double[] Recall) Curve(IReadOnlyList<double> errors, double max,
        int points = 100)
    {
        var t = Enumerable.Range(0, points + 1).Select(i => max * i / points).ToArray();
        return (t, t.Select(x => errors.Count == 0 ? 0 : (double)errors.Count(e => e <= x) / errors.Count).ToArray());
    }

    /// <summary>ADD(-S) at a fraction of the diameter (0.1 in LINEMOD's convention): ADD-S for symmetric objects,
    /// ADD for the others; each instance against its own object's diameter.</summary>
    public static double AddOrAddsBelow(IReadOnlyList<(double AddMm, double AddsMm, bool Symmetric,
        double DiameterMm)> e, double fraction = 0.1) =>
        e.Count == 0 ? 0 : (double)e.Count(x => (x.Symmetric ? x.AddsMm : x.AddMm) < fraction * x.DiameterMm) / e.Count;

    /// <summary>
    /// BOP's average recall of MSSD: the mean over its thresholds of the fraction below θ · diameter.
    /// </summary>
    public static double ArMssd(IReadOnlyList<(double MssdMm, double DiameterMm)> e) =>
        e.Count == 0 ? 0 : MssdFractions.Average(f => (double)e.Count(x => x.MssdMm < f * x.DiameterMm) / e.Count);

    /// <summary>
    /// BOP's average recall of MSPD: the mean over its thresholds of the fraction below θ · width / 640.
    /// </summary>
    public static double ArMspd(IReadOnlyList<(double MspdPx, int ImageWidth)> e) =>
        e.Count == 0 ? 0
            : MspdPixels.Average(th => (double)e.Count(x => x.MspdPx < th * x.ImageWidth / 640.0) / e.Count);
}
