namespace FpQuant.Pipeline;

/// <summary>Seconds spent in each stage of one first frame. Setup: translation guess and hypotheses; Render: the
/// hypotheses drawn into their windows (or generated crops); Crop: the frame warped into the windows.</summary>
internal sealed record StageTimes(double Setup, double Render, double Crop, double Refine, double PoseUpdate,
    double Score, double Select)
{
    public double Crops => Render + Crop;
    public double Network => Refine + Score;
    public double Total => Setup + Render + Crop + Refine + PoseUpdate + Score + Select;
    public double ScoreShareOfNetwork => Network > 0 ? Score / Network : 0;
}
