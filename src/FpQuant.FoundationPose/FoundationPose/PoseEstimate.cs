using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.FoundationPose;

/// <summary>
/// What <see cref="FoundationPoseEstimator.Register(Imaging.RgbdFrame, Rendering.ObjectMesh)"/> found: the chosen
/// pose, every refined hypothesis with its ScoreNet score, and the seconds each stage took.
/// </summary>
public sealed class PoseEstimate
{
    internal PoseEstimate(Pose pose, int chosen, IReadOnlyList<Pose> hypotheses, IReadOnlyList<float> scores,
        RegistrationTimes times)
    {
        Pose = pose; ChosenHypothesis = chosen; Hypotheses = hypotheses; Scores = scores; Times = times;
    }

    internal static PoseEstimate From(RegistrationResult r)
    {
        var f = r.Frame;
        var hypotheses = f.Poses.Select(r.Scene.ToMeshFrame).ToArray();
        return new PoseEstimate(r.Best, f.Best, Array.AsReadOnly(hypotheses), Array.AsReadOnly(f.Scores.ToArray()),
            new RegistrationTimes(r.Times));
    }

    /// <summary>The object's pose in the camera (x_cam = R x_mesh + t, metres), for the mesh as given: the refined
    /// hypothesis ScoreNet scored highest.</summary>
    public Pose Pose { get; }

    /// <summary>The index of the chosen hypothesis in <see cref="Hypotheses"/> and <see cref="Scores"/>.</summary>
    public int ChosenHypothesis { get; }

    /// <summary>Every hypothesis after refinement, for the mesh as given.</summary>
    public IReadOnlyList<Pose> Hypotheses { get; }

    /// <summary>ScoreNet's logit for each hypothesis (higher is better).</summary>
    public IReadOnlyList<float> Scores { get; }

    /// <summary>Seconds per stage.</summary>
    public RegistrationTimes Times { get; }
}

/// <summary>Seconds each stage of one registration took.</summary>
public sealed class RegistrationTimes
{
    private readonly StageTimes _t;

    internal RegistrationTimes(StageTimes t) { _t = t; }

    /// <summary>The translation guess from the mask and depth, and the starting hypotheses.</summary>
    public double Setup => _t.Setup;

    /// <summary>The mesh rendered at every hypothesis into its crop window.</summary>
    public double Render => _t.Render;

    /// <summary>The frame warped into every crop window.</summary>
    public double Crop => _t.Crop;

    /// <summary>RefineNet.</summary>
    public double Refine => _t.Refine;

    /// <summary>The pose updates from RefineNet's outputs.</summary>
    public double PoseUpdate => _t.PoseUpdate;

    /// <summary>ScoreNet.</summary>
    public double Score => _t.Score;

    /// <summary>Choosing the best-scored hypothesis.</summary>
    public double Select => _t.Select;

    /// <summary>All stages together.</summary>
    public double Total => _t.Total;

    /// <summary>The stages in order as (name, seconds): setup, render, crop, refine, pose update, score,
    /// select.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Stages => Array.AsReadOnly(new KeyValuePair<string, double>[]
    {
        new("setup", Setup), new("render", Render), new("crop", Crop), new("refine", Refine),
        new("pose update", PoseUpdate), new("score", Score), new("select", Select),
    });
}

/// <summary>What <see cref="FoundationPoseEstimator.Track"/> found in one frame: the pose and the seconds of each
/// stage.</summary>
public sealed class TrackedPose
{
    internal TrackedPose(TrackFrameResult r)
    {
        Pose = r.Pose; RenderSeconds = r.RenderSeconds; CropSeconds = r.CropSeconds; RefineSeconds = r.RefineSeconds;
        PoseUpdateSeconds = r.UpdateSeconds;
    }

    /// <summary>The object's pose in the camera (x_cam = R x_mesh + t, metres), for the mesh as given.</summary>
    public Pose Pose { get; }

    /// <summary>The mesh rendered at the current pose.</summary>
    public double RenderSeconds { get; }

    /// <summary>The frame warped into the crop window.</summary>
    public double CropSeconds { get; }

    /// <summary>RefineNet.</summary>
    public double RefineSeconds { get; }

    /// <summary>The pose updates.</summary>
    public double PoseUpdateSeconds { get; }

    /// <summary>All stages together.</summary>
    public double TotalSeconds => RenderSeconds + CropSeconds + RefineSeconds + PoseUpdateSeconds;
}
