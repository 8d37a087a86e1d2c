using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Datasets;

/// <summary>
/// An image's entry of scene_camera.json: intrinsics and the factor that turns depth PNG values into mm.
/// </summary>
internal sealed record BopCamera(CameraIntrinsics K, double DepthScale);
