using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Microsoft.ML.OnnxRuntime;
using FpQuant.Variants;

namespace FpQuant.Benchmark;

/// <summary>
/// `fpquant bench --track`: the tracking frame's latency for every variant and thread count in one process. Each
/// configuration gets its own RefineNet session and tracker; after untimed warm-up frames, every round tracks the
/// whole sequence from its first frame's true pose, configurations in alternating order, so load that comes and goes
/// spreads over all of them. Medians over all timed frames, split into render, crop, RefineNet and pose update.
/// </summary>
internal static class TrackBench
{
    public const string JsonFile = "track-bench.json", MarkdownFile = "track-bench.md";

    private sealed class Live : IDisposable
    {
        public required TrackBenchRow Row;
        public CropPairSession? Model;
        public NetworkTrackRefiner? Refiner;
        public PoseTracker? Tracker;
        public readonly List<TrackFrameResult> Timed = new();
        public readonly List<double> Add = new();
        public long Allocated;
        public TimeSpan Cpu;
        public void Dispose() { Refiner?.Dispose(); Model?.Dispose(); Refiner = null; Model = null; }
    }

    public static TrackBenchReport Run(TrackBenchSettings s, TrackSequence seq, string command,
        IProgress<string>? progress = null, CancellationToken cancel = default)
    {
        s.Validate();
        if (!seq.HasTruth || seq.Count < 2)
            throw new FpQuantException(
                $"{seq.Description}: the tracking bench needs at least 2 frames with their true poses");
        var total = Stopwatch.StartNew();
        var report = new TrackBenchReport
        {
            Machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}", Cpu = CpuFeatures.Describe(),
            OnnxRuntime = typeof(InferenceSession).Assembly.GetName().Version?.ToString() ?? "?", Command = command,
            Sequence = seq.Description,
            Weights = WeightSource.Describe(s.Weights), Provider = s.Runtime.Provider.ToString(),
            Iterations = s.Iterations, Rounds = s.Rounds, WarmupFrames = s.WarmupFrames,
        };
        // Frames are made before anything is timed.
        for (int i = 0; i < seq.Count; i++) seq.Frame(i);
        var store = new BenchModelStore(s.CacheDir, s.Runtime, s.CalibrationPairs);
        var live = new List<Live>();
        var points = PoseError.ModelPoints(seq.First.Mesh, seq.First.MeshCenter);
        try
        {
            progress?.Report("preparing models");
            // The float model is exported only when a variant needs it; static presets calibrate on crops of the first
            // frame.
            string? fRefine = null;
            string Float()
            {
                if (fRefine != null) return fRefine;
                fRefine = store.Float(NetworkKind.Refine, s.Weights);
                store.Calibration = new SceneInputSource(seq.First, s.CalibrationPairs, CalibrationDefaults.BatchSize,
                    null, fRefine, 1, s.Runtime);
                return fRefine;
            }
            var paths = new Dictionary<string, string>();
            foreach (var v in s.Variants)
            {
                cancel.ThrowIfCancellationRequested();
                string? path = null;
                string? error = VariantFailure.Run(() =>
                {
                    progress?.Report($"preparing {v.Name}");
                    path = v.RefinePath ?? (v.Options == null ? Float() : store.Quantized(Float(), v).Path);
                    if (!File.Exists(path))
                        throw new FpQuantException($"variant {v.Name}: model file '{path}' does not exist");
                });
                foreach (int t in s.Threads)
                {
                    var l = new Live { Row = new TrackBenchRow { Variant = v.Name, Threads = t, Error = error } };
                    live.Add(l);
                    if (error != null) continue;
                    Guard(l, () =>
                    {
                        l.Model = new CropPairSession(path!, s.Runtime with { IntraOpThreads = t });
                        l.Refiner = new NetworkTrackRefiner(l.Model);
                        l.Tracker =
                            new PoseTracker(seq.First, l.Refiner, new TrackSettings { Iterations = s.Iterations });
                    });
                }
            }
            var ok = live.Where(l => l.Row.Error == null).ToList();
            foreach (var l in ok)
            {
                cancel.ThrowIfCancellationRequested();
                progress?.Report($"warming up {l.Row.Variant} ({l.Row.Threads} thread(s))");
                Guard(l, () =>
                {
                    l.Tracker!.Reset(seq.Truth[0]!.Value);
                    for (int k = 0; k < s.WarmupFrames; k++) l.Tracker.Track(seq.Frame(1 + k % (seq.Count - 1)));
                });
            }
            for (int round = 0; round < s.Rounds; round++)
            {
                var alive = live.Where(l => l.Row.Error == null).ToList();
                foreach (int i in Statistics.AlternatingOrder(alive.Count, round))
                {
                    cancel.ThrowIfCancellationRequested();
                    var l = alive[i];
                    progress?.Report($"round {round + 1}/{s.Rounds}: {l.Row.Variant} ({l.Row.Threads} thread(s))");
                    Guard(l, () =>
                    {
                        if (round == 0) l.Row.WorkingSetFirstMb = WorkingSetMb();
                        l.Tracker!.Reset(seq.Truth[0]!.Value);
                        var cpu = ProcessCpu();
                        for (int f = 1; f < seq.Count; f++)
                        {
                            var frame = seq.Frame(f);
                            long before = GC.GetAllocatedBytesForCurrentThread();
                            var r = l.Tracker.Track(frame);
                            l.Allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                            l.Timed.Add(r);
                            l.Add.Add(PoseError.Between(seq.Truth[f]!.Value, r.Pose, points).AddMm);
                        }
                        l.Cpu += ProcessCpu() - cpu;
                        if (round == s.Rounds - 1) l.Row.WorkingSetLastMb = WorkingSetMb();
                    });
                }
            }
            foreach (var l in live.Where(l => l.Row.Error == null)) Summarize(l);
            foreach (var row in live.Select(l => l.Row).Where(r => r.StepMs != null))
                if (live.FirstOrDefault(l => l.Row.Variant == "fp32" && l.Row.Threads == row.Threads
                    && l.Row.StepMs != null) is Live f)
                    row.SpeedupVsFp32 = f.Row.StepMs!.Median / row.StepMs!.Median;
        }
        finally
        {
            foreach (var l in live) l.Dispose();
        }
        report.Rows.AddRange(live.Select(l => l.Row));
        report.TotalSeconds = total.Elapsed.TotalSeconds;
        return report;
    }

    private static TimeSpan ProcessCpu()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }

    private static double WorkingSetMb()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64 / 1e6;
    }

    private static void Guard(Live l, Action a)
    {
        if (VariantFailure.Run(a) is not string error) return;
        l.Row.Error = error;
        l.Dispose();
    }

    private static void Summarize(Live l)
    {
        var r = l.Row;
        var t = l.Timed;
        if (t.Count == 0) return;
        double Median(Func<TrackFrameResult, double> get) => 1000 * Summary.Of(t.Select(get).ToList()).Median;
        r.Frames = t.Count;
        r.StepMs = Summary.Of(t.Select(x => 1000 * x.StepSeconds).ToList());
        r.RenderMs = Median(x => x.RenderSeconds);
        r.CropMs = Median(x => x.CropSeconds);
        r.RefineMs = Median(x => x.RefineSeconds);
        r.UpdateMs = Median(x => x.UpdateSeconds);
        r.NonNetworkMs = Median(x => x.NonNetworkSeconds);
        r.FramesPerSecond = 1000 / r.StepMs.Median;
        r.AllocatedBytesPerFrame = (double)l.Allocated / t.Count;
        r.CpuMsPerFrame = l.Cpu.TotalMilliseconds / t.Count;
        r.MeanAddMm = l.Add.Average();
    }

    private static string F(double v, string fmt) => double.IsFinite(v) ? v.ToString(fmt, CultureInfo.InvariantCulture)
        : "n/a";

    public static readonly string[] Header =
    {
        "variant", "threads", "ms/frame (median [min-max])", "frames/s", "render ms", "crop ms", "RefineNet ms",
        "update ms", "non-network ms",
        "speed-up vs fp32", "CPU ms/frame", "allocated KB/frame", "working set MB (first -> last round)", "frames",
    };

    public static IEnumerable<string[]> Rows(TrackBenchReport r)
    {
        foreach (var x in r.Rows)
        {
            if (x.StepMs == null)
            {
                yield return new[] { x.Variant, x.Threads.ToString(CultureInfo.InvariantCulture), "FAILED",
                    x.Error ?? "", "", "", "", "", "", "", "", "", "", "" };
                continue;
            }
            yield return new[]
            {
                x.Variant, x.Threads.ToString(CultureInfo.InvariantCulture),
                $"{F(x.StepMs.Median, "F1")} [{F(x.StepMs.Min, "F1")}-{F(x.StepMs.Max, "F1")}]",
                F(x.FramesPerSecond, "F1"),
                F(x.RenderMs, "F2"), F(x.CropMs, "F2"), F(x.RefineMs, "F1"), F(x.UpdateMs, "F3"),
                F(x.NonNetworkMs, "F2"),
                x.SpeedupVsFp32 is double s ? F(s, "F2") + "x" : "", F(x.CpuMsPerFrame, "F1"),
                F(x.AllocatedBytesPerFrame / 1024, "F1"),
                $"{F(x.WorkingSetFirstMb, "F0")} -> {F(x.WorkingSetLastMb, "F0")}",
                x.Frames.ToString(CultureInfo.InvariantCulture),
            };
        }
    }

    public static void Write(TrackBenchReport r, string dir)
    {
        Directory.CreateDirectory(dir);
        var md = new StringBuilder();
        md.AppendLine("# Tracking benchmark").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"`{r.Command}`").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"{r.Machine}; {r.Cpu}; ONNX Runtime {r.OnnxRuntime}, {r.Provider}; {r.Sequence}; weights {r.Weights}; " +
            $"{r.Iterations} refine iteration(s) a frame, RefineNet on one pair; {r.WarmupFrames} warm-up frame(s), " +
            $"{r.Rounds} alternating round(s); {r.TotalSeconds:F0} s.").AppendLine();
        md.AppendLine("| " + string.Join(" | ", Header) + " |");
        md.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", Header.Length)));
        foreach (var row in Rows(r)) md.AppendLine("| " + string.Join(" | ", row) + " |");
        md.AppendLine()
            .AppendLine("ms/frame is the tracking step alone (render + crop + RefineNet + pose update); frame " +
                "loading is not in it.");
        AtomicFile.WriteGroup(
            (Path.Combine(dir, JsonFile),
                st => st.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(r, ReportJson.Options)))),
            (Path.Combine(dir, MarkdownFile), st => st.Write(Encoding.UTF8.GetBytes(md.ToString()))));
    }
}
