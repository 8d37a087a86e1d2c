namespace FpQuant.Networks;

/// <summary>FoundationPose's two networks.</summary>
public enum NetworkKind
{
    /// <summary>RefineNet, the network behind FoundationPose's PoseRefinePredictor.</summary>
    Refine,
    /// <summary>ScoreNetMultiPair.</summary>
    Score,
}
