namespace FpQuant.Datasets;

/// <summary>Everything the scene's JSON files say about one image.</summary>
internal sealed record BopImageAnnotations(int SceneId, int ImId, BopCamera Camera,
    IReadOnlyList<BopGroundTruth> Objects);
