using FpQuant.Geometry;

namespace FpQuant.Training;

/// <summary>
/// What a crop set holds: refine pairs (with their targets), score groups (with their errors), or both.
/// </summary>
internal enum CropSetKind { Refine, Score, Both }
