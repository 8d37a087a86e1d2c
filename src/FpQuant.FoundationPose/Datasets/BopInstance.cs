namespace FpQuant.Datasets;

/// <summary>
/// One object instance to estimate: the image, the instance's ground truth, and the files it comes from.
/// </summary>
internal sealed record BopInstance(int SceneId, int ImId, BopCamera Camera, BopGroundTruth Gt, string RgbPath,
    string DepthPath, string MaskVisibPath)
{
    public int ObjId => Gt.ObjId;
    public int GtIndex => Gt.GtIndex;
    /// <summary>A stable key: scene, image and the instance's index in the image.</summary>
    public string Key => $"{SceneId:D6}/{ImId:D6}/{GtIndex:D6}";
    public override string ToString() => $"scene {SceneId} image {ImId} object {ObjId} (instance {GtIndex})";
}
