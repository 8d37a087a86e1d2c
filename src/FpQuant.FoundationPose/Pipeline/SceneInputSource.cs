using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Networks;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Pipeline;

/// <summary>
/// Crops of a real (or the demo) scene, rendered and cropped exactly as the pipeline does: refiner crops for
/// RefineNet, scorer crops for ScoreNet. Hypotheses are spread over FoundationPose's 252 rotations. Given the float
/// refiner, the poses are the ones a float first frame actually visits (its refine iterations, then the scoring
/// pass), so the ranges cover what the quantized networks will see; without it, translations are jittered around the
/// guess by up to 10 % of the diameter, as a converging refiner leaves them.
/// </summary>
internal sealed class SceneInputSource : InputSource
{
    private readonly Scene _scene;
    private readonly CropSettings _crops;
    private readonly string? _floatRefiner;
    private readonly int _iterations;
    private readonly RuntimeSettings _runtime;
    private List<List<Pose>>? _visited;
    public Scene Scene => _scene;
    public int Pairs { get; }
    public int BatchSize { get; }

    /// <param name="floatRefiner">The float RefineNet whose first frame supplies the poses, or null for jittered
    /// poses.</param>
    /// <param name="iterations">Refine iterations of that first frame.</param>
    public SceneInputSource(Scene scene, int pairs, int batchSize = CalibrationDefaults.BatchSize,
        CropSettings? crops = null, string? floatRefiner = null, int iterations = 1, RuntimeSettings? runtime = null)
    {
        if (pairs <= 0) throw new FpQuantException($"calibration pair count must be positive, got {pairs}");
        if (batchSize <= 0) throw new FpQuantException($"batchSize must be positive, got {batchSize}");
        if (iterations < 1)
            throw new FpQuantException($"calibration needs at least one refine iteration, got {iterations}");
        _scene = scene; Pairs = pairs; BatchSize = batchSize; _crops = crops ?? new CropSettings();
        _floatRefiner = floatRefiner; _iterations = iterations; _runtime = runtime ?? new RuntimeSettings();
    }

    public override string Description => _floatRefiner == null
        ? $"crops of {_scene.Description}: {Pairs} pairs at jittered poses, batches of {BatchSize}"
        : $"crops of {_scene.Description}: {Pairs} pairs at the poses of a float first frame ({_iterations} refine " +
            $"iteration(s) by {Path.GetFileName(_floatRefiner)}), batches of {BatchSize}";

    /// <summary>
    /// The hypotheses' starting poses: rotations spread over the 252, translation jittered unless refined.
    /// </summary>
    public List<Pose> Poses()
    {
        var rotations = PoseHypotheses.Rotations();
        var poses = new List<Pose>(Pairs);
        ulong key = Hashing.Fnv1a64("scene-calibration");
        double j = _floatRefiner == null ? 0.1 * _scene.Diameter : 0;
        for (int i = 0; i < Pairs; i++)
        {
            var r = rotations[(int)((long)i * rotations.Count / Pairs) % rotations.Count];
            var dt = new Vec3(Hashing.Uniform(key, (ulong)(3 * i + 1)), Hashing.Uniform(key, (ulong)(3 * i + 2)),
                Hashing.Uniform(key, (ulong)(3 * i + 3))) * j;
            poses.Add(new Pose(r, _scene.Guess.T + dt));
        }
        return poses;
    }

    /// <summary>
    /// Poses per refine iteration and, last, the poses the scorer sees: from the float refiner when given.
    /// </summary>
    private List<List<Pose>> Visited()
    {
        if (_visited != null) return _visited;
        var poses = Poses();
        var visited = new List<List<Pose>> { new(poses) };
        if (_floatRefiner != null)
        {
            var source = new SceneCropSource(_scene, _crops);
            using var refiner = new CropPairSession(_floatRefiner, _runtime);
            if (refiner.Signature.Kind != Networks.NetworkKind.Refine)
                throw new FpQuantException($"calibration: '{_floatRefiner}' is not a refine model; the scene's first " +
                    $"frame needs the float RefineNet");
            for (int it = 0; it < _iterations; it++)
            {
                for (int start = 0; start < poses.Count; start += BatchSize)
                {
                    int n = Math.Min(BatchSize, poses.Count - start);
                    var b = source.Crops(poses, start, n, it);
                    var outs = refiner.Run(b.Rendered, b.Observed);
                    PoseUpdate.ApplyAll(poses, outs[0].Value, outs[1].Value, start, _scene.Diameter);
                }
                visited.Add(new List<Pose>(poses));
            }
        }
        // The float refiner's session is gone: its memory goes back before calibration's own runs need theirs.
        if (_floatRefiner != null) ProcessMemory.Trim();
        return _visited = visited;
    }

    internal override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource)
    {
        var sig = ModelSignature.Of(model, modelSource);
        var source = new SceneCropSource(_scene, _crops);
        var visited = Visited();
        bool refine = sig.Kind == Networks.NetworkKind.Refine;
        // RefineNet sees the poses before each of its iterations (spread across them); ScoreNet the final ones.
        var stages = refine ? visited.Take(Math.Max(1, visited.Count - 1)).ToList()
            : new List<List<Pose>> { visited[^1] };
        var poses = Enumerable.Range(0, Pairs).Select(i => stages[i % stages.Count][i]).ToList();
        int iteration = refine ? 0 : -1;
        for (int start = 0; start < Pairs; start += BatchSize)
        {
            int n = Math.Min(BatchSize, Pairs - start);
            var b = source.Crops(poses, start, n, iteration);
            yield return InputTensor.Batch(sig.Feeds(b.Rendered, b.Observed));
        }
    }
}
