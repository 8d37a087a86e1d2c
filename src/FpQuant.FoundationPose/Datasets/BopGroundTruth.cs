using FpQuant.Geometry;
using FpQuant.Pipeline;

namespace FpQuant.Datasets;

/// <summary>One object instance in one image: scene_gt.json's pose (model to camera, translation in mm) and
/// scene_gt_info.json's visibility. <see cref="GtIndex"/> is its position in the image's list, which names its
/// masks.</summary>
internal sealed record BopGroundTruth(int GtIndex, int ObjId, Pose PoseMm, BopGtInfo? Info);
