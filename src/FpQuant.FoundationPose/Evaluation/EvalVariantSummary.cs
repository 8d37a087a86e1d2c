namespace FpQuant.Evaluation;

/// <summary>One variant's results over the selected instances (missing estimates count as failures).</summary>
internal sealed class EvalVariantSummary
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public string? Error { get; set; }
    public bool Failed => Error != null;
    public int Instances { get; set; }
    public int Estimated { get; set; }
    /// <summary>Area under the ADD-S accuracy-threshold curve 0-100 mm (YCB-Video), 0..100.</summary>
    public double AucAdds { get; set; }
    /// <summary>The same for ADD.</summary>
    public double AucAdd { get; set; }
    /// <summary>Percent of instances with ADD (ADD-S for symmetric objects) under 0.1 of the diameter.</summary>
    public double AddOrAdds01d { get; set; }
    /// <summary>
    /// BOP's average recalls (percent), BOP's AR (the mean of the three) and the mean of MSSD's and MSPD's.
    /// </summary>
    public double ArVsd { get; set; }
    public double ArMssd { get; set; }
    public double ArMspd { get; set; }
    public double ArBop => (ArVsd + ArMssd + ArMspd) / 3;
    public double ArMean => (ArMssd + ArMspd) / 2;
    public double MedianSecondsPerInstance { get; set; }
    public double? MeanRotationDeviationDeg { get; set; }
    public double? MaxRotationDeviationDeg { get; set; }
    public double? MeanTranslationDeviationMm { get; set; }
    public double? MaxTranslationDeviationMm { get; set; }
    public List<EvalRecord> Records { get; set; } = new();
}
