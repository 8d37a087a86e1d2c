using FpQuant.Cli.Commands;
using Spectre.Console;

namespace FpQuant.Tests.Cli;

/// <summary><see cref="LongRun"/>, the CLI's one host for long runs: the body gets a live token and its result comes
/// back; with stdout redirected (as under the test host) progress goes to the plain-line reporter, never the
/// bar.</summary>
[Trait("Category", "Quick")]
public class LongRunTests
{
    [Fact]
    public void CancelOnCtrlC_HandsTheBodyALiveToken_AndReturnsItsResult()
    {
        CancellationToken seen = default;
        int result = LongRun.CancelOnCtrlC(token => { seen = token; return 42; });
        Assert.Equal(42, result);
        Assert.True(seen.CanBeCanceled);
        Assert.False(seen.IsCancellationRequested);
        // An exception from the body leaves the host as it came.
        Assert.Throws<OperationCanceledException>(
            () => LongRun.CancelOnCtrlC<int>(_ => throw new OperationCanceledException()));
    }

    [Fact]
    public void WithProgress_Redirected_ReportsLines()
    {
        Assert.True(Console.IsOutputRedirected, "the test host redirects stdout");
        var lines = new List<string>();
        var bar = new List<string>();
        string result = LongRun.WithProgress("t", new ProgressColumn[] { new TaskDescriptionColumn() },
            (ProgressTask _, string s) => bar.Add(s), new SynchronousProgress<string>(lines.Add),
            progress => { progress.Report("a"); progress.Report("b"); return "done"; });
        Assert.Equal("done", result);
        Assert.Equal(new[] { "a", "b" }, lines);
        Assert.Empty(bar);
    }
}
