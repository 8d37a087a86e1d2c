using System.CommandLine;

namespace FpQuant.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Benchmark the networks");
        cmd.SetAction(p => Program.Guard(p, () => 0));
        return cmd;
    }
}
