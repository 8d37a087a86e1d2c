namespace FpQuant.Tests.Support;

/// <summary>Runs the fpquant CLI in-process with the console captured. Console redirection is global, so the tests
/// that use it share one non-parallel collection.</summary>
public static class CliHarness
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var oldOut = Console.Out;
        var oldErr = Console.Error;
        var o = new StringWriter();
        var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try { return (FpQuant.Cli.Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    /// <summary>
    /// Exit code 2 and exactly one error line (warnings aside) holding every given text, no stack trace.
    /// </summary>
    public static void AssertOneLineError((int Code, string Out, string Err) r, params string[] mustContain)
    {
        Assert.Equal(2, r.Code);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("fpquant: warning: ")).ToList();
        Assert.Single(lines);
        Assert.StartsWith("fpquant: error: ", lines[0]);
        Assert.DoesNotContain("   at ", r.Err);
        foreach (var s in mustContain) Assert.Contains(s, lines[0]);
    }
}
