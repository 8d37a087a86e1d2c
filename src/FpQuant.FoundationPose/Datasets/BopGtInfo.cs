namespace FpQuant.Datasets;

/// <summary>scene_gt_info.json for one instance: boxes as x, y, width, height (pixels), pixel counts of the whole
/// silhouette, of its pixels with depth, and of its visible part, and the visible fraction.</summary>
internal sealed record BopGtInfo(int[] BboxObj, int[] BboxVisib, int PxCountAll, int PxCountValid, int PxCountVisib,
    double VisibFract);
