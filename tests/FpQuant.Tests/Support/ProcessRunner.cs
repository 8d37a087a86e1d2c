using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FpQuant.Tests.Support;

/// <summary>Runs a child process (the dotnet CLI, the built or installed fpquant) with its output captured, the way a
/// user's shell with a pipe would, and kills it (with its children) if it outlives its time limit.</summary>
public static class ProcessRunner
{
    public sealed record Result(int Code, string Out, string Err, TimeSpan Elapsed)
    {
        public override string ToString() =>
            $"exit {Code} after {Elapsed.TotalSeconds:F1} s\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    /// <summary>The dotnet host that runs this test (so a child uses the same SDK and runtime), or "dotnet".</summary>
    public static string Dotnet { get; } = FindDotnet();

    /// <summary>The folder holding the dotnet host: DOTNET_ROOT for an installed tool's launcher.</summary>
    public static string DotnetRoot => Path.GetDirectoryName(Dotnet) is { Length: > 0 } d ? d : "";

    /// <summary>fpquant.dll as built beside the tests (the test project references the CLI).</summary>
    public static string BuiltCli => Path.Combine(AppContext.BaseDirectory, "fpquant.dll");

    public static Result Run(string exe, IEnumerable<string> args, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(exe)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A child dotnet must not inherit the test host's MSBuild/test-platform state, and must leave no servers
        // behind.
        foreach (var k in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(k);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["UseSharedCompilation"] = "false";
        if (DotnetRoot.Length > 0) psi.Environment["DOTNET_ROOT"] = DotnetRoot;
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;

        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + exe);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch { /* already gone */ }
            p.WaitForExit();
            throw new TimeoutException($"{exe} {string.Join(' ', args)} ran past {timeout.TotalSeconds:F0} " +
                $"s\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result, sw.Elapsed);
    }

    /// <summary>The built CLI run as `dotnet fpquant.dll ARGS` with stdout and stderr piped.</summary>
    public static Result RunBuiltCli(string workingDirectory, params string[] args) =>
        Run(Dotnet, new[] { BuiltCli }.Concat(args), workingDirectory, TimeSpan.FromMinutes(3));

    private static string FindDotnet()
    {
        string exe = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet";
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h)) return h;
        // The runtime lives in DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION/.
        var runtimeDir = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory());
        if (runtimeDir.Parent?.Parent?.Parent is DirectoryInfo root && File.Exists(Path.Combine(root.FullName, exe)))
            return Path.Combine(root.FullName, exe);
        return "dotnet";
    }
}
