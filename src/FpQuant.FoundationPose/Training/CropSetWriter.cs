using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using FpQuant.Core;
using FpQuant.Geometry;
using FpQuant.Imaging;
using FpQuant.Images;
using FpQuant.Pipeline;
using FpQuant.Rendering;

namespace FpQuant.Training;

/// <summary>
/// Writes the networks' inputs with their ground truth as NumPy shards (layout in <see cref="Layout"/>): refine pairs
/// with the refiner outputs that would move each hypothesis onto the truth, and score groups with each hypothesis'
/// error and the best one. Samples are built in parallel from reused buffers; a shard is written (each file
/// atomically) while the next one fills, and manifest.json lists a shard once all its files are in place.
/// Every sample depends on the seed and its index only, so the files do not depend on the thread count.
/// </summary>
internal sealed class CropSetWriter
{
    public const string ManifestFile = "manifest.json";
    public const string Format = "fpquant-crops/1";

    private readonly CropSetOptions _o;
    private readonly string _dir;
    private readonly IProgress<CropSetProgress>? _progress;
    private CropScenes _scenes = null!;
    private float[] _points = Array.Empty<float>();
    private readonly System.Collections.Concurrent.ConcurrentBag<Worker> _workers = new();
    private readonly List<Shard> _buffers = new();
    private readonly List<ShardEntry> _written = new();

    private sealed record ShardEntry(string name, string kind, int samples);
    private readonly object _manifestLock = new();
    private long _refineDone, _scoreDone;
    private ulong _refineKey, _scoreKey;

    public CropSetWriter(CropSetOptions options, string outDir, IProgress<CropSetProgress>? progress = null)
    {
        _o = options;
        _dir = outDir;
        _progress = progress;
    }

    /// <summary>What each file holds, written into the manifest.</summary>
    public static readonly IReadOnlyDictionary<string, string> Layout = new Dictionary<string, string>
    {
        ["refine-NNNNN.A.npy"] = "[S,6,160,160] the mesh rendered at the hypothesis into its window (RefineNet input " +
            "A: RGB 0..1, then XYZ minus the hypothesis translation over diameter/2)",
        ["refine-NNNNN.B.npy"] =
            "[S,6,160,160] the camera frame warped into the same window (RefineNet input B, same normalisation)",
        ["refine-NNNNN.target.npy"] = "[S,6] float32: trans (3) then rot (3), the RefineNet outputs that move .hyp " +
            "exactly onto .true under the pose update",
        ["refine-NNNNN.hyp.npy"] = "[S,4,4] float64 hypothesis, object in camera",
        ["refine-NNNNN.true.npy"] = "[S,4,4] float64 true pose, object in camera",
        ["score-NNNNN.A.npy"] = "[S,G,6,160,160] each hypothesis rendered into its window (ScoreNet input A; a group " +
            "is one ScoreNet batch)",
        ["score-NNNNN.B.npy"] = "[S,G,6,160,160] the camera frame warped into each window (ScoreNet input B)",
        ["score-NNNNN.hyp.npy"] = "[S,G,4,4] float64 hypotheses, object in camera",
        ["score-NNNNN.true.npy"] = "[S,4,4] float64 true pose, object in camera",
        ["score-NNNNN.error.npy"] =
            "[S,G,3] float32: rotation error (degrees), translation error (mm), ADD (mm) of each hypothesis",
        ["score-NNNNN.best.npy"] = "[S] int64: the hypothesis with the smallest ADD",
        ["poses"] = "object-in-camera of the mesh centred at its bounding-box centre (mesh_center, in the mesh " +
            "file's frame), metres",
        ["pose_update"] = "t' = t + trans * diameter/2; R' = exp_so3(tanh(rot) * 0.3490658503988659)^T R",
    };

    private sealed class Worker
    {
        public readonly RenderTarget Target = new(CropPair.Size, CropPair.Size);
        public readonly float[] Slot = new float[CropPair.Floats];
        public DemoFrameBuffers? Frame;
        public Pose[] Hyps = Array.Empty<Pose>();
    }

    /// <summary>One shard's arrays, filled and written again and again.</summary>
    private sealed class Shard
    {
        public required bool Score;
        public required int Capacity;
        public required int Group;
        public float[]? A32, B32;
        public Half[]? A16, B16;
        public required double[] Hyp, True;
        public required float[] Target, Error;
        public required long[] Best;
        public Task? Writing;
        public string Name = "";
        public int Count;
    }

    public CropSetSummary Run(CancellationToken cancel = default)
    {
        _o.Validate();
        PrepareFolder();
        _scenes = CropScenes.Open(_o.Scene, _o.Seed);
        _points = PoseError.ModelPoints(_scenes.Mesh);
        _refineKey = SampleRandom.StreamKey(_o.Seed, "refine-hypothesis");
        _scoreKey = SampleRandom.StreamKey(_o.Seed, "score-hypotheses");
        WriteManifest(complete: false);

        bool doRefine = _o.Kind != CropSetKind.Score, doScore = _o.Kind != CropSetKind.Refine;
        int refineShard = _o.ShardSamples(false), scoreShard = _o.ShardSamples(true);
        var sw = Stopwatch.StartNew();
        Task? lastWrite = null;
        bool stopped = false;
        int shards = 0;
        try
        {
            for (int k = 0; ; k++)
            {
                bool any = false;
                foreach (bool score in new[] { false, true })
                {
                    if (score ? !doScore : !doRefine) continue;
                    long done = score ? _scoreDone : _refineDone;
                    int n = _o.Count == 0 ? (score ? scoreShard : refineShard)
                        : (int)Math.Min(score ? scoreShard : refineShard, _o.Count - done);
                    if (n <= 0) continue;
                    any = true;
                    var sh = FreeShard(score, score ? scoreShard : refineShard);
                    sh.Name = $"{(score ? "score" : "refine")}-{k:D5}";
                    sh.Count = n;
                    Fill(sh, done, cancel);
                    // One write at a time: the previous shard's write overlapped this fill; wait for it, then hand this
                    // one over.
                    lastWrite?.Wait(CancellationToken.None);
                    // Each written file leaves a 1 MB stream buffer behind; collected per shard, a stream of shards
                    // holds a flat working set instead of one that climbs until the GC's own budget runs out.
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false);
                    // A filled shard is written whole even when the run is cancelled: it is counted below and listed.
                    sh.Writing = lastWrite = Task.Run(() => WriteShard(sh), CancellationToken.None);
                    if (score) _scoreDone += n; else _refineDone += n;
                    shards++;
                    double secs = sw.Elapsed.TotalSeconds;
                    _progress?.Report(new CropSetProgress(sh.Name, _refineDone, _scoreDone,
                        Pairs() / Math.Max(secs, 1e-9), secs, Environment.WorkingSet));
                }
                if (!any) break;
            }
            lastWrite?.Wait(CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The shard being filled is dropped; the one being written is finished and listed.
            stopped = true;
            try { lastWrite?.Wait(CancellationToken.None); } catch (AggregateException e) { throw Unwrap(e); }
        }
        catch (AggregateException e) { throw Unwrap(e); }
        WriteManifest(complete: !stopped);
        double total = sw.Elapsed.TotalSeconds;
        return new CropSetSummary(Path.Combine(_dir, ManifestFile), _refineDone, _scoreDone, shards, total,
            Pairs() / Math.Max(total, 1e-9), stopped);
    }

    private double Pairs() => _refineDone + (double)_scoreDone * _o.Group;

    private static Exception Unwrap(AggregateException e) =>
        e.Flatten().InnerExceptions.FirstOrDefault(x => x is FpQuantException) ?? e.Flatten().InnerExceptions[0];

    private void PrepareFolder()
    {
        if (File.Exists(_dir)) throw new FpQuantException($"outDir '{_dir}' is a file; give a folder for the shards");
        if (Directory.Exists(_dir)
            && (File.Exists(Path.Combine(_dir, ManifestFile)) || Directory.EnumerateFiles(_dir, "*.npy").Any()))
            throw new FpQuantException($"outDir '{_dir}' already holds a crop set ({ManifestFile} or .npy files); " +
                $"give an empty or new folder");
        try { Directory.CreateDirectory(_dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException
            or ArgumentException)
        {
            throw new FpQuantException($"outDir '{_dir}': cannot create the folder: {e.Message}", e);
        }
    }

    private Shard FreeShard(bool score, int capacity)
    {
        foreach (var b in _buffers)
            if (b.Score == score && (b.Writing == null || b.Writing.IsCompleted)) { b.Writing?.Wait(); return b; }
        int g = score ? _o.Group : 1;
        long crops = (long)capacity * g * CropPair.Floats;
        bool half = _o.CropType == NpyElementType.Float16;
        var sh = new Shard
        {
            Score = score, Capacity = capacity, Group = g,
            A32 = half ? null : new float[crops], B32 = half ? null : new float[crops],
            A16 = half ? new Half[crops] : null, B16 = half ? new Half[crops] : null,
            Hyp = new double[capacity * g * 16], True = new double[capacity * 16],
            Target = new float[score ? 0 : capacity * 6], Error = new float[score ? capacity * g * 3 : 0],
            Best = new long[score ? capacity : 0],
        };
        _buffers.Add(sh);
        return sh;
    }

    private void Fill(Shard sh, long first, CancellationToken cancel)
    {
        var po = new ParallelOptions { MaxDegreeOfParallelism = _o.WorkerThreads, CancellationToken = cancel };
        Parallel.For(0, sh.Count, po, i =>
        {
            cancel.ThrowIfCancellationRequested();
            if (!_workers.TryTake(out var w)) w = new Worker();
            try
            {
                if (sh.Score) ScoreSample(sh, i, first + i, w);
                else RefineSample(sh, i, first + i, w);
            }
            finally { _workers.Add(w); }
        });
    }

    private void RefineSample(Shard sh, int slot, long index, Worker w)
    {
        var look = _scenes.Look(score: false, index);
        var truth = _scenes.Truth(look);
        var rng = new SampleRandom(_refineKey, index);
        double diameter = _scenes.Diameter;
        Pose hyp;
        Vec3 trans, rot;
        int attempts = 0;
        do
        {
            // Angles below AlwaysReachableDegrees are always accepted, so this ends quickly for any allowed
            // --max-rot-deg.
            if (++attempts > 10_000)
                throw new FpQuantException($"no hypothesis within the refiner's reach after {attempts - 1} draws; " +
                    $"lower MaxRotationDeg");
            hyp = PosePerturbation.Around(truth, _o.MaxRotationDeg * Math.PI / 180,
                _o.MaxTranslationFraction * diameter, ref rng);
        }
        while (!RefineTarget.TryCompute(hyp, truth, diameter, out trans, out rot));
        var (ratio, minDepth) = CropPair.Thresholds(_o.Crops, scoring: false);
        var region =
            CropWindow.For(hyp.T, _scenes.K, diameter, ratio, CropPair.Size).FramePixels(_scenes.Width, _scenes.Height);
        if (_scenes.IsRandom) w.Frame ??= new DemoFrameBuffers();
        var (frame, xyz) = _scenes.Observe(look, region, w.Frame);
        Crops(sh, slot, hyp, frame, xyz, ratio, minDepth, w);
        var t = sh.Target.AsSpan(6 * slot, 6);
        t[0] = (float)trans.X; t[1] = (float)trans.Y; t[2] = (float)trans.Z;
        t[3] = (float)rot.X; t[4] = (float)rot.Y; t[5] = (float)rot.Z;
        PutPose(hyp, sh.Hyp.AsSpan(16 * slot, 16));
        PutPose(truth, sh.True.AsSpan(16 * slot, 16));
    }

    private void ScoreSample(Shard sh, int slot, long index, Worker w)
    {
        var look = _scenes.Look(score: true, index);
        var truth = _scenes.Truth(look);
        var rng = new SampleRandom(_scoreKey, index);
        double diameter = _scenes.Diameter;
        int g = sh.Group;
        if (w.Hyps.Length != g) w.Hyps = new Pose[g];
        var (ratio, minDepth) = CropPair.Thresholds(_o.Crops, scoring: true);
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = 0, y1 = 0, best = 0;
        double bestAdd = double.PositiveInfinity;
        for (int h = 0; h < g; h++)
        {
            var hyp = w.Hyps[h] = PosePerturbation.Around(truth, _o.MaxRotationDeg * Math.PI / 180,
                _o.MaxTranslationFraction * diameter, ref rng);
            var r = CropWindow.For(hyp.T, _scenes.K, diameter, ratio, CropPair.Size)
                .FramePixels(_scenes.Width, _scenes.Height);
            x0 = Math.Min(x0, r.X0); y0 = Math.Min(y0, r.Y0); x1 = Math.Max(x1, r.X1); y1 = Math.Max(y1, r.Y1);
            var e = PoseError.Between(truth, hyp, _points);
            var es = sh.Error.AsSpan(3 * (slot * g + h), 3);
            es[0] = (float)e.RotationDeg; es[1] = (float)e.TranslationMm; es[2] = (float)e.AddMm;
            if (e.AddMm < bestAdd) { bestAdd = e.AddMm; best = h; }
            PutPose(hyp, sh.Hyp.AsSpan(16 * (slot * g + h), 16));
        }
        if (_scenes.IsRandom) w.Frame ??= new DemoFrameBuffers();
        var (frame, xyz) = _scenes.Observe(look, (x0, y0, Math.Max(x0, x1), Math.Max(y0, y1)), w.Frame);
        for (int h = 0; h < g; h++) Crops(sh, slot * g + h, w.Hyps[h], frame, xyz, ratio, minDepth, w);
        sh.Best[slot] = best;
        PutPose(truth, sh.True.AsSpan(16 * slot, 16));
    }

    /// <summary>
    /// The pair for one pose, straight into the shard (float32) or through the worker's slot (float16).
    /// </summary>
    private void Crops(Shard sh, int pair, Pose pose, RgbdFrame frame, float[] xyz, double ratio, float minDepth,
        Worker w)
    {
        long at = (long)pair * CropPair.Floats;
        var a = sh.A32 != null ? sh.A32.AsSpan((int)at, CropPair.Floats) : w.Slot;
        CropPair.Render(_scenes.Mesh, pose, _scenes.K, _scenes.Diameter, ratio, minDepth, w.Target, a);
        if (sh.A16 != null) ToHalf(a, sh.A16.AsSpan((int)at, CropPair.Floats));
        var b = sh.B32 != null ? sh.B32.AsSpan((int)at, CropPair.Floats) : w.Slot;
        CropPair.Observe(frame, xyz, pose, _scenes.Diameter, ratio, minDepth, b);
        if (sh.B16 != null) ToHalf(b, sh.B16.AsSpan((int)at, CropPair.Floats));
    }

    // Vectorised (round to nearest even, as the (Half) cast): the per-element cast costs as much as warping the crop.
    private static void ToHalf(ReadOnlySpan<float> src, Span<Half> dst) =>
        System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(src, dst);

    private static void PutPose(Pose p, Span<double> m)
    {
        m[0] = p.R.M00; m[1] = p.R.M01; m[2] = p.R.M02; m[3] = p.T.X;
        m[4] = p.R.M10; m[5] = p.R.M11; m[6] = p.R.M12; m[7] = p.T.Y;
        m[8] = p.R.M20; m[9] = p.R.M21; m[10] = p.R.M22; m[11] = p.T.Z;
        m[12] = 0; m[13] = 0; m[14] = 0; m[15] = 1;
    }

    private void WriteShard(Shard sh)
    {
        string P(string part) => Path.Combine(_dir, $"{sh.Name}.{part}.npy");
        long s = sh.Count, g = sh.Group;
        var crop = new long[] { Networks.NetworkNames.Channels, CropPair.Size, CropPair.Size };
        long[] cropShape = sh.Score ? new[] { s, g }.Concat(crop).ToArray() : new[] { s }.Concat(crop).ToArray();
        long[] hypShape = sh.Score ? new[] { s, g, 4L, 4 } : new[] { s, 4L, 4 };
        // Small files first: a reader that finds the crops finds their truth beside them.
        if (sh.Score)
        {
            WriteNpy(P("error"), NpyElementType.Float32, sh.Error, s * g * 3, new[] { s, g, 3 });
            WriteNpy(P("best"), NpyElementType.Int64, sh.Best, s, new[] { s });
        }
        else WriteNpy(P("target"), NpyElementType.Float32, sh.Target, s * 6, new[] { s, 6L });
        WriteNpy(P("hyp"), NpyElementType.Float64, sh.Hyp, s * g * 16, hypShape);
        WriteNpy(P("true"), NpyElementType.Float64, sh.True, s * 16, new[] { s, 4L, 4 });
        long crops = s * g * CropPair.Floats;
        if (sh.A16 != null)
        {
            WriteNpy(P("A"), NpyElementType.Float16, sh.A16, crops, cropShape);
            WriteNpy(P("B"), NpyElementType.Float16, sh.B16!, crops, cropShape);
        }
        else
        {
            WriteNpy(P("A"), NpyElementType.Float32, sh.A32!, crops, cropShape);
            WriteNpy(P("B"), NpyElementType.Float32, sh.B32!, crops, cropShape);
        }
        lock (_manifestLock)
        {
            _written.Add(new ShardEntry(sh.Name, sh.Score ? "score" : "refine", sh.Count));
            WriteManifest(complete: false);
        }
    }

    /// <summary>A header and the first <paramref name="count"/> elements, without copying the array.</summary>
    private static void WriteNpy<T>(string path, NpyElementType type, T[] data, long count,
        long[] shape) where T : unmanaged
    {
        byte[] header = NpyHeader.Format(type, shape);
        AtomicFile.Write(path, s =>
        {
            s.Write(header);
            const int chunk = 1 << 22;
            for (long at = 0; at < count; at += chunk)
                s.Write(MemoryMarshal.AsBytes(data.AsSpan((int)at, (int)Math.Min(chunk, count - at))));
        });
    }

    private void WriteManifest(bool complete)
    {
        lock (_manifestLock)
        {
            var k = _scenes.K;
            var m = new
            {
                format = Format,
                scene = new { spec = _scenes.Spec, description = _scenes.Description, width = _scenes.Width,
                    height = _scenes.Height },
                diameter = _scenes.Diameter,
                mesh_center = new[] { _scenes.MeshCenter.X, _scenes.MeshCenter.Y, _scenes.MeshCenter.Z },
                K = new[] { k.Fx, k.Fy, k.Cx, k.Cy },
                seed = _o.Seed,
                options = new
                {
                    kind = _o.Kind.ToString().ToLowerInvariant(), count = _o.Count,
                    refine_shard_size = _o.ShardSamples(false), score_shard_size = _o.ShardSamples(true),
                    max_rot_deg = _o.MaxRotationDeg, max_trans_frac = _o.MaxTranslationFraction, group = _o.Group,
                    dtype = _o.CropType == NpyElementType.Float16 ? "float16" : "float32",
                    refine_crop_ratio = _o.Crops.RefineCropRatio, score_crop_ratio = _o.Crops.ScoreCropRatio,
                    max_tanh = RefineTarget.MaxTanh,
                },
                counts = new { refine = _written.Where(x => x.kind == "refine").Sum(x => (long)x.samples),
                    score = _written.Where(x => x.kind == "score").Sum(x => (long)x.samples) },
                complete,
                shards = _written,
                layout = Layout,
            };
            AtomicFile.WriteAllText(Path.Combine(_dir, ManifestFile),
                JsonSerializer.Serialize(m, ReportJson.Indented) + "\n");
        }
    }
}
