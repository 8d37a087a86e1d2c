using Spectre.Console;

namespace FpQuant.Cli.Commands;

/// <summary>
/// How the CLI hosts a long run (bench, eval, crops): Ctrl-C cancels the run's token, so the run stops at its next step
/// and says what it kept, instead of the process dying mid-write; on a terminal progress is a bar, otherwise one line
/// per report.
/// </summary>
internal static class LongRun
{
    /// <summary>Runs <paramref name="body"/> with a token that the first Ctrl-C cancels.</summary>
    public static T CancelOnCtrlC<T>(Func<CancellationToken, T> body)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return body(cts.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Runs <paramref name="body"/> reporting to a progress bar named <paramref name="task"/> (drawn with
    /// <paramref name="columns"/>, updated by <paramref name="toBar"/>) when stdout is a terminal, else to
    /// <paramref name="lines"/>.</summary>
    public static T WithProgress<T, TProgress>(string task, ProgressColumn[] columns,
        Action<ProgressTask, TProgress> toBar, IProgress<TProgress> lines, Func<IProgress<TProgress>, T> body)
    {
        if (Console.IsOutputRedirected) return body(lines);
        T result = default!;
        AnsiConsole.Progress().AutoClear(true).Columns(columns).Start(ctx =>
        {
            var bar = ctx.AddTask(task, maxValue: 1);
            result = body(new SynchronousProgress<TProgress>(p => toBar(bar, p)));
        });
        return result;
    }
}
