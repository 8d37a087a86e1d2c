using FpQuant.Variants;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Rendering;
using FpQuant.Runtime;

namespace FpQuant.FoundationPose;

/// <summary>
/// FoundationPose's pose estimation for one object at a time: RefineNet and ScoreNet as ONNX Runtime sessions,
/// <see cref="Register(RgbdFrame, bool[], ObjectMesh, CameraIntrinsics, CancellationToken)"/> for a first frame
/// (hypotheses, rendering, crops, refinement, scoring) and <see cref="Track"/> for the frames after it.
/// Create one with <see cref="FromSyntheticWeights"/>, <see cref="FromCheckpoints"/> or <see cref="FromOnnx"/>;
/// dispose it to free the sessions. One estimator serves one thread at a time.
/// </summary>
public sealed class FoundationPoseEstimator : IDisposable
{
    private readonly FirstFrameModels _models;
    private readonly FoundationPoseOptions _options;
    private NetworkTrackRefiner? _trackRefiner;
    private PoseTracker? _tracker;
    private Scene? _registered;
    private Pose _registeredPose;
    private bool _disposed;

    private FoundationPoseEstimator(FirstFrameModels models, FoundationPoseOptions options, string description,
        string refinePath, string scorePath)
    {
        _models = models; _options = options; Description = description;
        RefineModelPath = refinePath; ScoreModelPath = scorePath;
    }

    /// <summary>The quantization presets <see cref="FoundationPoseOptions.Variant"/> accepts besides <c>fp32</c>.
    /// </summary>
    public static IReadOnlyList<string> Presets { get; } = Array.AsReadOnly(FoundationPosePresets.All.Keys.ToArray());

    /// <summary>
    /// The networks with synthetic weights: deterministic, made from <paramref name="seed"/>, of FoundationPose's
    /// exact architecture. Their poses are not meaningful; they measure speed and exercise the whole pipeline
    /// without a checkpoint.
    /// </summary>
    /// <param name="seed">The weights' seed.</param>
    /// <param name="options">Variant, runtime and registration settings; null for the defaults.</param>
    /// <exception cref="FpQuantException">An option is out of range, or the model cache cannot be written.</exception>
    public static FoundationPoseEstimator FromSyntheticWeights(ulong seed = 0, FoundationPoseOptions? options = null)
    {
        string weights = $"synthetic:{seed}";
        return Create(store => (store.Float(NetworkKind.Refine, weights), store.Float(NetworkKind.Score, weights)),
            weights, options);
    }

    /// <summary>
    /// The networks with FoundationPose's trained weights: its two checkpoints (<c>model_best.pth</c> of the
    /// refiner and of the scorer), read without executing them and exported to ONNX once (kept in
    /// <see cref="FoundationPoseOptions.ModelCacheFolder"/>).
    /// </summary>
    /// <param name="refinerCheckpoint">RefineNet's <c>model_best.pth</c>.</param>
    /// <param name="scorerCheckpoint">ScoreNet's <c>model_best.pth</c>.</param>
    /// <param name="options">Variant, runtime and registration settings; null for the defaults.</param>
    /// <exception cref="FpQuantException">A file is missing or is not that network's checkpoint, or an option is
    /// out of range.</exception>
    public static FoundationPoseEstimator FromCheckpoints(string refinerCheckpoint, string scorerCheckpoint,
        FoundationPoseOptions? options = null)
    {
        CheckFile(refinerCheckpoint, nameof(refinerCheckpoint), "RefineNet's model_best.pth");
        CheckFile(scorerCheckpoint, nameof(scorerCheckpoint), "ScoreNet's model_best.pth");
        // A weights spec with '=' or ',' names a network per part; a plain path is taken as one file.
        foreach (var (path, name) in new[]
                 { (refinerCheckpoint, nameof(refinerCheckpoint)), (scorerCheckpoint, nameof(scorerCheckpoint)) })
            if (path.Contains('=', StringComparison.Ordinal) || path.Contains(',', StringComparison.Ordinal))
                throw new FpQuantException(
                    $"{name} '{path}': the path has '=' or ','; copy or link the file to a path without them");
        return Create(
            store => (store.Float(NetworkKind.Refine, refinerCheckpoint),
                store.Float(NetworkKind.Score, scorerCheckpoint)),
            $"refine={Path.GetFileName(refinerCheckpoint)},score={Path.GetFileName(scorerCheckpoint)}", options);
    }

    /// <summary>
    /// The networks as two ONNX files, in either order: this project's exports or Isaac ROS's
    /// (<c>refine_model.onnx</c>, <c>score_model.onnx</c>), float or already quantized. With a preset as
    /// <see cref="FoundationPoseOptions.Variant"/> the given (float) files are quantized first.
    /// </summary>
    /// <param name="refineModel">One of the two networks' ONNX files (RefineNet or ScoreNet).</param>
    /// <param name="scoreModel">The other.</param>
    /// <param name="options">Variant, runtime and registration settings; null for the defaults.</param>
    /// <exception cref="FpQuantException">A file is missing or not one of the networks, both files are the same
    /// network, or an option is out of range.</exception>
    public static FoundationPoseEstimator FromOnnx(string refineModel, string scoreModel,
        FoundationPoseOptions? options = null)
    {
        CheckFile(refineModel, nameof(refineModel), "an ONNX file");
        CheckFile(scoreModel, nameof(scoreModel), "an ONNX file");
        return Create(_ => (refineModel, scoreModel),
            $"{Path.GetFileName(refineModel)} + {Path.GetFileName(scoreModel)}", options);
    }

    private static void CheckFile(string? path, string parameter, string what)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new FpQuantException($"{parameter} is empty; give {what}");
        if (!File.Exists(path)) throw new FpQuantException($"{parameter}: file '{path}' does not exist; give {what}");
    }

    private static FoundationPoseEstimator Create(Func<BenchModelStore, (string A, string B)> floatModels,
        string weights, FoundationPoseOptions? options)
    {
        options ??= new FoundationPoseOptions();
        options.Validate();
        var runtime = options.Runtime();
        var spec = VariantSpec.Parse(options.Variant);
        if (spec.RefinePath != null)
            throw new FpQuantException(
                $"Variant '{options.Variant}': give fp32 or a preset name; pass model files to FromOnnx");
        var store = new BenchModelStore(options.ModelCacheFolder, runtime, options.CalibrationPairs);
        var (a, b) = floatModels(store);
        string description = $"{spec.Name} ({weights})";
        if (spec.Options != null)
        {
            a = store.Quantized(a, spec).Path;
            b = store.Quantized(b, spec).Path;
            description = $"{spec.Name} ({weights}, calibrated on {store.Calibration.Description})";
        }
        var models = FirstFrameModels.OpenEitherOrder(a, b, runtime, chunkedScore: options.MaxMemoryBytes > 0);
        // The files may come in either order; the refine session says which one it read.
        bool aIsRefine = models.Refine.Runner.ModelPath == a;
        return new FoundationPoseEstimator(models, options, description, aIsRefine ? a : b, aIsRefine ? b : a);
    }

    /// <summary>The variant and the weights or files the estimator runs, in words.</summary>
    public string Description { get; }

    /// <summary>The RefineNet ONNX file the sessions run (exported, quantized or given).</summary>
    public string RefineModelPath { get; }

    /// <summary>The ScoreNet ONNX file the sessions run (exported, quantized or given).</summary>
    public string ScoreModelPath { get; }

    /// <summary>The settings the estimator was created with.</summary>
    public FoundationPoseOptions Options => _options;

    /// <summary>
    /// Registers the object in <paramref name="frame"/>, using the frame's own <see cref="RgbdFrame.Mask"/> and
    /// <see cref="RgbdFrame.K"/>. See
    /// <see cref="Register(RgbdFrame, bool[], ObjectMesh, CameraIntrinsics, CancellationToken)"/>.
    /// </summary>
    /// <param name="frame">The RGB-D frame with the object's mask and the camera intrinsics.</param>
    /// <param name="mesh">The object's mesh (metres).</param>
    /// <returns>The chosen pose, every hypothesis with its score, and the stage times.</returns>
    public PoseEstimate Register(RgbdFrame frame, ObjectMesh mesh)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return Register(frame, frame.Mask, mesh, frame.K);
    }

    /// <summary>
    /// FoundationPose's first frame: a translation guess from the mask and depth,
    /// <see cref="FoundationPoseOptions.Hypotheses"/>
    /// rotations around it, each refined <see cref="FoundationPoseOptions.RefineIterations"/> times by RefineNet
    /// (the mesh rendered at the hypothesis and the frame cropped around it), then ScoreNet over all of them and the
    /// best one chosen. The chosen pose is where <see cref="Track"/> starts.
    /// </summary>
    /// <param name="frame">The RGB-D frame (its own mask and intrinsics are not used).</param>
    /// <param name="mask">The object's pixels, row by row: one value per pixel of <paramref name="frame"/>.</param>
    /// <param name="mesh">The object's mesh (metres).</param>
    /// <param name="k">The camera intrinsics of <paramref name="frame"/>.</param>
    /// <param name="cancel">Stops the registration between network calls.</param>
    /// <returns>The chosen pose, every hypothesis with its score, and the stage times.</returns>
    /// <exception cref="FpQuantException">The mask does not match the frame, has no pixels, has no valid depth, or
    /// the mesh is degenerate.</exception>
    public PoseEstimate Register(RgbdFrame frame, bool[] mask, ObjectMesh mesh, CameraIntrinsics k,
        CancellationToken cancel = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame == null) throw new FpQuantException("frame is null; give the RGB-D frame to register the object in");
        if (mask == null) throw new FpQuantException("mask is null; give one value per pixel of the frame");
        if (mesh == null) throw new FpQuantException("mesh is null; load the object's mesh with ObjectMesh.Load");
        long pixels = (long)frame.Width * frame.Height;
        if (mask.LongLength != pixels)
            throw new FpQuantException($"mask has {mask.LongLength} values but the frame is "
                + $"{frame.Width}x{frame.Height} ({pixels} pixels); give one value per pixel, row by row");
        if (!(k.Fx > 0 && k.Fy > 0) || !double.IsFinite(k.Fx + k.Fy + k.Cx + k.Cy))
            throw new FpQuantException(
                $"k ({k}) needs positive, finite focal lengths fx and fy and a finite principal point");
        var f = ReferenceEquals(mask, frame.Mask) && k == frame.K ? frame
            : new RgbdFrame(frame.Width, frame.Height, frame.Rgb, frame.Depth, mask, k) { Source = frame.Source };
        var scene = Scene.Create(f, mesh.Mesh, f.Source);
        var r = Registration.Run(scene, _models.Runner, _options.Registration(), cancel);
        _registered = scene;
        _registeredPose = r.Best;
        _tracker = null;
        return PoseEstimate.From(r);
    }

    /// <summary>
    /// FoundationPose's tracking: refines the pose of the last <see cref="Register(RgbdFrame, ObjectMesh)"/>
    /// (or of the previous <see cref="Track"/>) in a new frame of the same camera, with
    /// <see cref="FoundationPoseOptions.TrackIterations"/> RefineNet passes on one crop pair. No mask is needed.
    /// </summary>
    /// <param name="frame">The next RGB-D frame (its mask is not used; its <see cref="RgbdFrame.K"/> is).</param>
    /// <returns>The pose in this frame and the stage times.</returns>
    /// <exception cref="InvalidOperationException">Nothing was registered yet.</exception>
    public TrackedPose Track(RgbdFrame frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame == null) throw new FpQuantException("frame is null; give the next RGB-D frame");
        if (_registered == null)
            throw new InvalidOperationException("register the object (Register) before tracking it");
        if (_tracker == null)
        {
            _trackRefiner ??= new NetworkTrackRefiner(_models.Refine);
            var settings = new TrackSettings { Iterations = _options.TrackIterations };
            _tracker = new PoseTracker(_registered, _trackRefiner, settings);
            _tracker.Reset(_registeredPose);
        }
        return new TrackedPose(_tracker.Track(frame));
    }

    /// <summary>Frees the ONNX Runtime sessions and their buffers.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _trackRefiner?.Dispose();
        _models.Dispose();
    }
}
