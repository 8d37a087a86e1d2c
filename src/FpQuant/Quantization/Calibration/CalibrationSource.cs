using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>Batches of model inputs for calibration: the synthetic crop generator or a folder of .bin files.
/// A batch names every model input; its tensors may be float32, int64 or int32, samples on axis 0.</summary>
public abstract class CalibrationSource
{
    public abstract string Description { get; }
    public abstract IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource);

    /// <summary>Refuses NaN or infinite calibration values, naming the input and batch.</summary>
    public static void CheckFinite(IReadOnlyDictionary<string, InputTensor> batch, string where)
    {
        foreach (var (name, t) in batch)
        {
            long i = t.FirstNonFinite();
            if (i >= 0)
                throw new FpQuantException($"calibration input '{name}' ({where}) holds {(float.IsNaN(((float[])t.Data)[i]) ? "NaN" : "an infinite value")} at element {i}; calibration data must be finite: fix or drop that input");
        }
    }
}

/// <summary>Structured synthetic crop pairs (objects on a background), fed in the model's own layout.</summary>
public sealed class SyntheticCalibrationSource : CalibrationSource
{
    public int Pairs { get; }
    public ulong Seed { get; }
    public int BatchSize { get; }

    public SyntheticCalibrationSource(int pairs, ulong seed, int batchSize = 8)
    {
        if (pairs <= 0) throw new FpQuantException($"--calibration-count must be positive, got {pairs}");
        if (batchSize <= 0) throw new FpQuantException($"--calibration-batch must be positive, got {batchSize}");
        Pairs = pairs; Seed = seed; BatchSize = batchSize;
    }

    public override string Description => $"synthetic crops: {Pairs} pairs, seed {Seed}, batches of {BatchSize}";

    public override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource)
    {
        var sig = ModelSignature.Of(model, modelSource);
        for (int start = 0, b = 0; start < Pairs; start += BatchSize, b++)
        {
            int n = Math.Min(BatchSize, Pairs - start);
            var (r, o) = SyntheticCrops.Generate(n, Seed * 1_000_003UL + (ulong)b);
            yield return InputTensor.Batch(sig.Feeds(r, o));
        }
    }
}

/// <summary>
/// A folder of raw float32 files named PREFIX.INPUT.bin (e.g. 0001.A.bin and 0001.B.bin): every prefix that has
/// a file for each model input is one batch; the batch size follows from the file size.
/// </summary>
public sealed class FolderCalibrationSource : CalibrationSource
{
    public string Folder { get; }
    public FolderCalibrationSource(string folder) { Folder = folder; }
    public override string Description => $"folder {Folder}";

    public override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource)
    {
        if (!Directory.Exists(Folder))
            throw new FpQuantException($"calibration folder '{Folder}' does not exist");
        var init = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name));
        var inputs = model.Graph.Input.Where(i => !init.Contains(i.Name)).ToList();
        var prefixes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(Folder, "*.bin"))
        {
            string name = Path.GetFileName(f);
            foreach (var i in inputs)
                if (name.EndsWith($".{i.Name}.bin", StringComparison.Ordinal))
                    prefixes.Add(name[..^($".{i.Name}.bin".Length)]);
        }
        var complete = prefixes.Where(p => inputs.All(i => File.Exists(Path.Combine(Folder, $"{p}.{i.Name}.bin")))).ToList();
        if (complete.Count == 0)
            throw new FpQuantException($"calibration folder '{Folder}' has no complete input set: expected files PREFIX.{string.Join(".bin, PREFIX.", inputs.Select(i => i.Name))}.bin");
        foreach (var p in complete)
        {
            var batch = new Dictionary<string, InputTensor>();
            foreach (var i in inputs)
            {
                string file = Path.Combine(Folder, $"{p}.{i.Name}.bin");
                var dims = i.Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray();
                long perItem = dims.Skip(1).Aggregate(1L, (a, d) => a * Math.Max(d, 1));
                long bytes = new FileInfo(file).Length;
                if (bytes % (perItem * 4) != 0)
                    throw new FpQuantException($"calibration file '{file}' has {bytes} bytes, not a whole number of {FloatTensor.ShapeString(dims.Skip(1))} float32 items for input '{i.Name}'");
                int n = (int)(bytes / (perItem * 4));
                var shape = new[] { n }.Concat(dims.Skip(1).Select(d => (int)d)).ToArray();
                batch[i.Name] = new FloatTensor(shape, RawTensorFile.Read(file, n * perItem, i.Name));
            }
            yield return batch;
        }
    }
}

/// <summary>Batches already in memory (library callers with their own data, and tests).</summary>
public sealed class InMemoryCalibrationSource : CalibrationSource
{
    private readonly IReadOnlyList<Dictionary<string, InputTensor>> _batches;
    public InMemoryCalibrationSource(IReadOnlyList<Dictionary<string, InputTensor>> batches) { _batches = batches; }
    public InMemoryCalibrationSource(IReadOnlyList<Dictionary<string, FloatTensor>> batches) : this(batches.Select(InputTensor.Batch).ToList()) { }
    public override string Description => $"{_batches.Count} in-memory batch(es)";
    public override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource) => _batches;
}

/// <summary>
/// Crops of a real (or the demo) scene, rendered and cropped exactly as the pipeline does: refiner crops for
/// RefineNet, scorer crops for ScoreNet. Hypotheses are spread over FoundationPose's 252 rotations. Given the float
/// refiner, the poses are the ones a float first frame actually visits (its refine iterations, then the scoring
/// pass), so the ranges cover what the quantized networks will see; without it, translations are jittered around the
/// guess by up to 10 % of the diameter, as a converging refiner leaves them.
/// </summary>
public sealed class SceneCalibrationSource : CalibrationSource
{
    private readonly Pipeline.Scene _scene;
    private readonly Pipeline.CropSettings _crops;
    private readonly string? _floatRefiner;
    private readonly int _iterations;
    private readonly RuntimeSettings _runtime;
    private List<List<Pipeline.Pose>>? _visited;
    public int Pairs { get; }
    public int BatchSize { get; }

    /// <param name="floatRefiner">The float RefineNet whose first frame supplies the poses, or null for jittered poses.</param>
    /// <param name="iterations">Refine iterations of that first frame.</param>
    public SceneCalibrationSource(Pipeline.Scene scene, int pairs, int batchSize = 8, Pipeline.CropSettings? crops = null,
        string? floatRefiner = null, int iterations = 1, RuntimeSettings? runtime = null)
    {
        if (pairs <= 0) throw new FpQuantException($"calibration pair count must be positive, got {pairs}");
        if (batchSize <= 0) throw new FpQuantException($"--calibration-batch must be positive, got {batchSize}");
        if (iterations < 1) throw new FpQuantException($"calibration needs at least one refine iteration, got {iterations}");
        _scene = scene; Pairs = pairs; BatchSize = batchSize; _crops = crops ?? new Pipeline.CropSettings();
        _floatRefiner = floatRefiner; _iterations = iterations; _runtime = runtime ?? new RuntimeSettings();
    }

    public override string Description => _floatRefiner == null
        ? $"crops of {_scene.Description}: {Pairs} pairs at jittered poses, batches of {BatchSize}"
        : $"crops of {_scene.Description}: {Pairs} pairs at the poses of a float first frame ({_iterations} refine iteration(s) by {Path.GetFileName(_floatRefiner)}), batches of {BatchSize}";

    /// <summary>The hypotheses' starting poses: rotations spread over the 252, translation jittered unless refined.</summary>
    public List<Pipeline.Pose> Poses()
    {
        var rotations = Pipeline.PoseHypotheses.Rotations();
        var poses = new List<Pipeline.Pose>(Pairs);
        ulong key = Hashing.Fnv1a64("scene-calibration");
        double j = _floatRefiner == null ? 0.1 * _scene.Diameter : 0;
        for (int i = 0; i < Pairs; i++)
        {
            var r = rotations[(int)((long)i * rotations.Count / Pairs) % rotations.Count];
            var dt = new Pipeline.Vec3(Hashing.Uniform(key, (ulong)(3 * i + 1)), Hashing.Uniform(key, (ulong)(3 * i + 2)), Hashing.Uniform(key, (ulong)(3 * i + 3))) * j;
            poses.Add(new Pipeline.Pose(r, _scene.Guess.T + dt));
        }
        return poses;
    }

    /// <summary>Poses per refine iteration and, last, the poses the scorer sees: from the float refiner when given.</summary>
    private List<List<Pipeline.Pose>> Visited()
    {
        if (_visited != null) return _visited;
        var poses = Poses();
        var visited = new List<List<Pipeline.Pose>> { new(poses) };
        if (_floatRefiner != null)
        {
            var source = new Pipeline.SceneCropSource(_scene, _crops);
            using var refiner = new PairModel(_floatRefiner, _runtime);
            if (refiner.Signature.Kind != Networks.NetworkKind.Refine)
                throw new FpQuantException($"calibration: '{_floatRefiner}' is not a refine model; the scene's first frame needs the float RefineNet");
            for (int it = 0; it < _iterations; it++)
            {
                for (int start = 0; start < poses.Count; start += BatchSize)
                {
                    int n = Math.Min(BatchSize, poses.Count - start);
                    var b = source.Crops(poses, start, n, it);
                    var outs = refiner.Run(b.Rendered, b.Observed);
                    Pipeline.PoseUpdate.ApplyAll(poses, outs[0].Value, outs[1].Value, start, _scene.Diameter);
                }
                visited.Add(new List<Pipeline.Pose>(poses));
            }
        }
        return _visited = visited;
    }

    public override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource)
    {
        var sig = ModelSignature.Of(model, modelSource);
        var source = new Pipeline.SceneCropSource(_scene, _crops);
        var visited = Visited();
        bool refine = sig.Kind == Networks.NetworkKind.Refine;
        // RefineNet sees the poses before each of its iterations (spread across them); ScoreNet the final ones.
        var stages = refine ? visited.Take(Math.Max(1, visited.Count - 1)).ToList() : new List<List<Pipeline.Pose>> { visited[^1] };
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

/// <summary>Parses the --calibration option: synthetic:COUNT[:SEED], scene:demo[:COUNT] or scene:FOLDER[:COUNT].</summary>
public static class CalibrationSpec
{
    public const string Help = "use synthetic:COUNT[:SEED] (e.g. synthetic:32:0), scene:demo[:COUNT] (crops of the built-in demo scene), scene:FOLDER[:COUNT] (crops of your frame: rgb.png, depth.png, mask.png, cam_K.txt, mesh.obj), or --calibration-dir DIR";

    public static CalibrationSource Parse(string spec, string? dir, int batch)
    {
        if (dir != null) return new FolderCalibrationSource(dir);
        if (spec.StartsWith("scene:", StringComparison.Ordinal))
        {
            string rest = spec["scene:".Length..];
            int count = 32;
            int colon = rest.LastIndexOf(':');
            if (colon > 0 && int.TryParse(rest[(colon + 1)..], out int c))
            {
                if (c <= 0) throw new FpQuantException($"--calibration '{spec}': the pair count must be positive");
                count = c;
                rest = rest[..colon];
            }
            if (rest.Length == 0) throw new FpQuantException($"--calibration '{spec}': {Help}");
            return new SceneCalibrationSource(Pipeline.Scene.Open(rest), count, batch);
        }
        var parts = spec.Split(':');
        if (parts[0] != "synthetic" || parts.Length > 3 || parts.Length < 2 || !int.TryParse(parts[1], out int n) || n <= 0
            || (parts.Length == 3 && !ulong.TryParse(parts[2], out _)))
            throw new FpQuantException($"--calibration '{spec}': {Help}");
        return new SyntheticCalibrationSource(n, parts.Length == 3 ? ulong.Parse(parts[2]) : 0, batch);
    }
}
