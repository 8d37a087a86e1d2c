using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;

namespace FpQuant.Pipeline;

/// <summary>
/// Consecutive RGB-D frames of one object for tracking: the first frame as a scene (with the object's mask, for
/// registration), every frame on demand, and the object's true pose per frame when known. Frames are read when asked,
/// so a long sequence is never held in memory; <see cref="Preloaded"/> keeps them all (benchmarks, the demo).
/// </summary>
internal sealed class TrackSequence
{
    private readonly Func<int, RgbdFrame> _frame;
    private readonly Func<int, Scene> _scene;
    private readonly RgbdFrame?[]? _cache;

    public string Description { get; }
    public int Count { get; }
    /// <summary>Each frame's id (a BOP im_id), in order.</summary>
    public IReadOnlyList<int> FrameIds { get; }
    /// <summary>The object's true pose (original mesh frame, metres) per frame, or null where unknown.</summary>
    public IReadOnlyList<Pose?> Truth { get; }

    /// <param name="frame">Frame i (0-based).</param>
    /// <param name="scene">Frame i as a scene with the object's mask and mesh: registration's input.</param>
    public TrackSequence(string description, IReadOnlyList<int> frameIds, IReadOnlyList<Pose?> truth,
        Func<int, RgbdFrame> frame, Func<int, Scene> scene, bool preload = false)
    {
        if (frameIds.Count == 0) throw new FpQuantException($"{description} has no frames");
        if (truth.Count != frameIds.Count) throw new ArgumentException("one true pose (or null) per frame");
        Description = description; Count = frameIds.Count; FrameIds = frameIds; Truth = truth;
        _frame = frame; _scene = scene;
        if (preload) _cache = new RgbdFrame?[Count];
        First = scene(0);
    }

    /// <summary>The first frame as a scene: the object (mesh, centre, diameter) and registration's input.</summary>
    public Scene First { get; }
    public bool Preloaded => _cache != null;
    public bool HasTruth => Truth.All(t => t != null);

    public RgbdFrame Frame(int i)
    {
        if (i == 0) return First.Frame;
        if (_cache == null) return _frame(i);
        return _cache[i] ??= _frame(i);
    }

    /// <summary>Frame i with its mask, for re-registration.</summary>
    public Scene SceneAt(int i) => i == 0 ? First : _scene(i);
}
