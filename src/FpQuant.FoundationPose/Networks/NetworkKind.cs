namespace FpQuant.Networks;

public enum NetworkKind
{
    /// <summary>RefineNet, the network behind FoundationPose's PoseRefinePredictor.</summary>
    Refine,
    /// <summary>ScoreNetMultiPair.</summary>
    Score,
}
