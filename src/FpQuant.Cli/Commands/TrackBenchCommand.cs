using System.CommandLine;
using System.Globalization;
using FpQuant.Benchmark;
using FpQuant.Core;
using FpQuant.Datasets;
using FpQuant.Runtime;
using Spectre.Console;
using FpQuant.Variants;

namespace FpQuant.Cli.Commands;

/// <summary>`fpquant bench --track`: tracking latency per variant and thread count on the demo video.</summary>
internal static class TrackBenchCommand
{
    public static int Run(ParseResult p, List<VariantSpec> variants, int frames, int rounds, string? threadList,
        int iterations, int warmupFrames,
        string weights, RuntimeSettings runtime, string cache, int calibration, string? outDir)
    {
        var threads = threadList == null ? new[] { runtime.IntraOpThreads }
            : threadList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => int.TryParse(t, System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out int v) && v > 0 ? v
                    : throw new FpQuantException($"--track-threads '{threadList}': '{t}' is not a positive thread " +
                        $"count; give e.g. 1,2"))
                .ToArray();
        var settings = new TrackBenchSettings
        {
            Variants = variants, Threads = threads, Iterations = iterations, WarmupFrames = warmupFrames,
            Rounds = rounds, Weights = weights, Runtime = runtime, CacheDir = cache, CalibrationPairs = calibration,
        };
        if (frames < 2 || frames > SyntheticVideo.MaxKeptFrames)
            throw new FpQuantException($"--track-frames must be between 2 and {SyntheticVideo.MaxKeptFrames} (the " +
                $"video is kept in memory), got {frames}");
        settings.Validate();
        var seq = SyntheticVideo.DemoSequence(frames, keepFrames: true);
        string dir = outDir
            ?? Path.Combine("bench-results",
                "track-" + DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        string command = "fpquant " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        var progress = new SynchronousProgress<string>(s => Console.Error.WriteLine($"[bench --track] {s}"));
        var report = TrackBench.Run(settings, seq, command, progress);
        TrackBench.Write(report, dir);
        var t = new Table().Border(TableBorder.Rounded);
        foreach (var h in TrackBench.Header) t.AddColumn(Markup.Escape(h));
        foreach (var row in TrackBench.Rows(report)) t.AddRow(row.Select(Markup.Escape).ToArray());
        t.Caption($"tracking frames ({iterations} iteration(s), RefineNet on one pair), {report.Cpu}; medians of " +
            $"every timed frame over {rounds} alternating round(s)");
        AnsiConsole.Write(t);
        Console.WriteLine($"report: {Path.Combine(dir, TrackBench.MarkdownFile)} (and {TrackBench.JsonFile})");
        var failed = report.Rows.Where(r => r.StepMs == null).ToList();
        if (failed.Count == 0) return 0;
        Console.Error.WriteLine($"fpquant: error: {failed.Count} of {report.Rows.Count} configuration(s) failed " +
            $"({string.Join(", ", failed.Select(f => $"{f.Variant}/{f.Threads}"))}); see the report");
        return VariantFailure.ExitCode;
    }
}
