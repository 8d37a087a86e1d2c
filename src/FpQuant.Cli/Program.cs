using System.CommandLine;
using System.Globalization;
using FpQuant.Cli.Commands;
using FpQuant.Core;

namespace FpQuant.Cli;

internal static class Program
{
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Print stack traces and extra detail on errors",
        Recursive = true,
    };

    public static int Main(string[] args)
    {
        CliConsole.Configure(CliConsole.IsTerminal);
        // Numbers the tool prints or writes (reports, JSON, CSV, console lines) read the same in every locale.
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var root =
            new RootCommand("fpquant: FoundationPose's networks as ONNX, quantized and benchmarked with ONNX Runtime");
        root.Options.Add(Verbose);
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(InferCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(SensitivityCommands.Sensitivity());
        root.Subcommands.Add(SensitivityCommands.AutoQuant());
        root.Subcommands.Add(BenchModelCommand.Create());
        root.Subcommands.Add(MakeCheckpointCommand.Create());
        root.Subcommands.Add(RegisterCommand.Create());
        root.Subcommands.Add(MakeDatasetCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(CropsCommand.Create());
        root.Subcommands.Add(TrackCommand.Create());
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            CliConsole.ErrorLine($"fpquant: error: {parse.Errors[0].Message} (see 'fpquant " +
                $"{string.Join(' ', CommandPath(parse))} --help')");
            return 2;
        }
        return parse.Invoke();
    }

    private static List<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var c = parse.CommandResult; c != null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            if (c.Command is not RootCommand) names.Insert(0, c.Command.Name);
        return names;
    }

    /// <summary>Runs a verb: user errors become one line on stderr and exit code 2; bugs exit 1.</summary>
    public static int Guard(ParseResult parse, Func<int> body)
    {
        bool verbose = parse.GetValue(Verbose);
        try
        {
            return body();
        }
        catch (FpQuantException e)
        {
            CliConsole.ErrorLine($"fpquant: error: {CliFlags.Words(e.Message, parse)}");
            if (verbose) Console.Error.WriteLine(e);
            return 2;
        }
        catch (OperationCanceledException)
        {
            CliConsole.ErrorLine("fpquant: cancelled");
            return 130;
        }
        catch (Exception e)
        {
            CliConsole.ErrorLine($"fpquant: internal error: {e.GetType().Name}: {e.Message}" + (verbose ? ""
                : " (run with --verbose for the stack trace)"));
            if (verbose) Console.Error.WriteLine(e);
            return 1;
        }
    }
}
