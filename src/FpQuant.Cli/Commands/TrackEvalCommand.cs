using FpQuant.Evaluation;
using Spectre.Console;
using FpQuant.Variants;

namespace FpQuant.Cli.Commands;

/// <summary>
/// `fpquant eval --mode track`: tracking accuracy, drift, lost frames and time per frame on video scenes.
/// </summary>
internal static class TrackEvalCommand
{
    public static int Run(TrackEvalSettings settings, string command)
    {
        var progress = new SynchronousProgress<string>(s => Console.WriteLine($"[eval --mode track] {s}"));
        var report = TrackEval.Run(settings, command, progress);
        var t = new Table().Border(TableBorder.Rounded);
        foreach (var h in TrackEval.Header) t.AddColumn(Markup.Escape(h));
        foreach (var row in TrackEval.Rows(report)) t.AddRow(row.Select(Markup.Escape).ToArray());
        t.Caption(
            $"{report.Dataset}: start from {report.Start}; {report.TrackIterations} iteration(s) a tracked frame");
        AnsiConsole.Write(t);
        foreach (var v in report.Variants.Where(v => v.LostFrames > 0))
            Console.WriteLine($"{v.Name}: {v.LostFrames} frame(s) flagged lost by the ScoreNet check, " +
                $"{v.Reregistrations} re-registered");
        Console.WriteLine($"report: {Path.Combine(settings.Eval.OutDir, TrackEval.MarkdownFile)} (also " +
            $"{TrackEval.JsonFile}, {TrackEval.FramesFile}, {TrackEval.DriftChart})");
        var failed = report.Variants.Where(v => v.Error != null).ToList();
        foreach (var v in failed) Console.Error.WriteLine($"fpquant: error: variant {v.Name} failed: {v.Error}");
        return failed.Count == 0 ? 0 : VariantFailure.ExitCode;
    }
}
