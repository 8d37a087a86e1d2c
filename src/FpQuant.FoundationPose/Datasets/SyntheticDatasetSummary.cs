namespace FpQuant.Datasets;

/// <summary>What make-dataset wrote.</summary>
internal sealed record SyntheticDatasetSummary(string Root, int Scenes, int Images,
    IReadOnlyList<(int SceneId, int ImId, int ObjId, double VisibFract)> Instances);
