using System.Diagnostics;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Rendering;

namespace FpQuant.Pipeline;

/// <summary>
/// FoundationPose's tracking (`track_one`) of one object: registered on a first frame, then each new frame refines the
/// previous frame's pose with I iterations of: crop window from the current pose, the mesh rendered once into it, the
/// frame warped into it, RefineNet on that one pair, the same pose update as registration. No scoring, unless the
/// optional lost-track check is on. Every buffer (crops, visibility buffer, frame XYZ) is made once and reused, and
/// the refiner runs over bound buffers, so a tracking frame allocates next to nothing.
/// </summary>
internal sealed class PoseTracker
{
    private readonly TrackSettings _s;
    private readonly ITrackRefiner _refiner;
    private readonly ITrackScorer? _scorer;
    private readonly Scene _objectScene;
    private readonly TriMesh _mesh;
    private readonly RenderTarget _target = new(CropPair.Size, CropPair.Size);
    private readonly float[] _rendered = new float[CropPair.Floats], _observed = new float[CropPair.Floats];
    private float[] _frameXyz = Array.Empty<float>();
    private Pose? _pose;

    public double Diameter { get; }
    /// <summary>
    /// Frames tracked since the last registration or reset, and how many of them the check flagged lost.
    /// </summary>
    public int FramesTracked { get; private set; }
    public int LostFrames { get; private set; }

    /// <param name="objectScene">The object: its centred mesh, its centre and its diameter are taken from this scene
    /// (any frame of the object, usually the first).</param>
    /// <param name="scorer">The lost-track check's scorer; required when <see cref="TrackSettings.LostScoreThreshold"/>
    /// is set.</param>
    public PoseTracker(Scene objectScene, ITrackRefiner refiner, TrackSettings? settings = null,
        ITrackScorer? scorer = null)
    {
        _s = settings ?? new TrackSettings();
        _s.Validate();
        if (_s.LostScoreThreshold != null && scorer == null)
            throw new FpQuantException(
                "the lost-track check (LostScoreThreshold) needs ScoreNet; give the tracker a scorer");
        _refiner = refiner;
        _scorer = _s.LostScoreThreshold != null ? scorer : null;
        _mesh = objectScene.Mesh;
        _objectScene = objectScene;
        Diameter = objectScene.Diameter;
    }

    public TrackSettings Settings => _s;
    public bool IsRegistered => _pose != null;
    /// <summary>The current pose of the original mesh in the camera.</summary>
    public Pose Pose => _objectScene.ToMeshFrame(_pose
        ?? throw new InvalidOperationException("register the first frame (or reset to a pose) before tracking"));

    /// <summary>FoundationPose's first frame on <paramref name="scene"/> (a frame of this object with its mask); the
    /// chosen pose becomes the pose tracking starts from. Also how a lost track is re-registered.</summary>
    public RegistrationResult Register(Scene scene, FirstFrameRunner runner, RegistrationSettings settings,
        CancellationToken cancel = default)
    {
        var r = Registration.Run(scene, runner, settings, cancel);
        Reset(r.Best);
        return r;
    }

    /// <summary>Starts (or restarts) tracking from a known pose of the original mesh.</summary>
    public void Reset(Pose meshFramePose)
    {
        _pose = _objectScene.FromMeshFrame(meshFramePose);
        FramesTracked = 0;
        LostFrames = 0;
    }

    /// <summary>Tracks the object into <paramref name="frame"/> from the previous pose.</summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public TrackFrameResult Track(RgbdFrame frame)
    {
        var pose = _pose
            ?? throw new InvalidOperationException("register the first frame (or reset to a pose) before tracking");
        long need = 3L * frame.Width * frame.Height;
        if (_frameXyz.Length != need) _frameXyz = new float[need];
        var (ratio, minDepth) = CropPair.Thresholds(_s.Crops, scoring: false);
        long render = 0, crop = 0, refine = 0, update = 0, score = 0;
        for (int it = 0; it < _s.Iterations; it++)
        {
            long t0 = Stopwatch.GetTimestamp();
            CropPair.Render(_mesh, pose, frame.K, Diameter, ratio, minDepth, _target, _rendered);
            long t1 = Stopwatch.GetTimestamp();
            Observe(frame, pose, ratio, minDepth);
            long t2 = Stopwatch.GetTimestamp();
            var (trans, rot) = _refiner.Refine(_rendered, _observed, pose);
            long t3 = Stopwatch.GetTimestamp();
            pose = PoseUpdate.Apply(pose, trans, rot, Diameter);
            long t4 = Stopwatch.GetTimestamp();
            render += t1 - t0; crop += t2 - t1; refine += t3 - t2; update += t4 - t3;
        }
        _pose = pose;
        FramesTracked++;
        float? logit = null;
        bool lost = false;
        if (_scorer != null)
        {
            var (sRatio, sMin) = CropPair.Thresholds(_s.Crops, scoring: true);
            long t0 = Stopwatch.GetTimestamp();
            CropPair.Render(_mesh, pose, frame.K, Diameter, sRatio, sMin, _target, _rendered);
            long t1 = Stopwatch.GetTimestamp();
            Observe(frame, pose, sRatio, sMin);
            long t2 = Stopwatch.GetTimestamp();
            logit = _scorer.Score(_rendered, _observed, pose);
            score += Stopwatch.GetTimestamp() - t2;
            render += t1 - t0; crop += t2 - t1;
            lost = !(logit >= _s.LostScoreThreshold!.Value);
            if (lost) LostFrames++;
        }
        static double S(long ticks) => (double)ticks / Stopwatch.Frequency;
        return new TrackFrameResult(_objectScene.ToMeshFrame(pose), pose, S(render), S(crop), S(refine), S(update),
            S(score), logit, lost);
    }

    /// <summary>The frame's XYZ over the pixels the window reads only, then the frame warped into the window.</summary>
    private void Observe(RgbdFrame frame, Pose pose, double ratio, float minDepth)
    {
        var w = CropWindow.For(pose.T, frame.K, Diameter, ratio, CropPair.Size);
        var (x0, y0, x1, y1) = w.FramePixels(frame.Width, frame.Height);
        ObservedCrop.FrameXyz(frame, _frameXyz, x0, y0, x1, y1);
        CropPair.Observe(frame, _frameXyz, pose, Diameter, ratio, minDepth, _observed);
    }
}
