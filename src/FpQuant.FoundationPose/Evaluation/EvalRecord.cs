using System.Text.Json.Serialization;

namespace FpQuant.Evaluation;

/// <summary>
/// One variant's estimate for one instance, as appended to OUT/results.jsonl when it is done (so an interrupted run
/// resumes from it): the pose (model to camera, R row-major, t in mm), ScoreNet's score, the first frame's seconds,
/// the errors, and what they were measured against.
/// </summary>
internal sealed record EvalRecord
{
    public required string Variant { get; init; }
    public required int SceneId { get; init; }
    public required int ImId { get; init; }
    public required int GtIndex { get; init; }
    public required int ObjId { get; init; }
    public required double[] R { get; init; }
    public required double[] TMm { get; init; }
    public double Score { get; init; }
    public double FirstFrameSeconds { get; init; }
    public double AddMm { get; init; }
    public double AddsMm { get; init; }
    public double MssdMm { get; init; }
    public double MspdPx { get; init; }
    /// <summary>
    /// VSD at each tau of <see cref="Vsd.TauFractions"/> (null in results written before VSD: wrong).
    /// </summary>
    public double[]? VsdErrors { get; init; }
    public double DiameterMm { get; init; }
    public bool Symmetric { get; init; }
    public int ImageWidth { get; init; }
    /// <summary>
    /// The process's peak working set during this first frame (its variant's sessions the only ones alive).
    /// </summary>
    public long PeakWorkingSetBytes { get; init; }
    /// <summary>Filled when the report is built: the angle and distance to fp32's pose for the same instance.</summary>
    public double? RotationDeviationDeg { get; set; }
    public double? TranslationDeviationMm { get; set; }

    [JsonIgnore] public string InstanceKey => $"{SceneId:D6}/{ImId:D6}/{GtIndex:D6}";
}
