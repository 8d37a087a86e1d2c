using FpQuant.Core;

namespace FpQuant.Pipeline;

/// <summary>Crop pairs (NCHW) and the seconds spent rendering and cropping them.</summary>
internal sealed record CropBatch(FloatTensor Rendered, FloatTensor Observed, double RenderSeconds, double CropSeconds);
