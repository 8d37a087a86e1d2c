using System.CommandLine;
using FpQuant.Networks;
using FpQuant.Runtime;

namespace FpQuant.Cli.Commands;

/// <summary>Options shared by several verbs, spelled the same everywhere.</summary>
public static class CommonOptions
{
    public static Option<string> Weights() => new("--weights")
    {
        Description = "Weights: synthetic[:SEED] (deterministic recipe) or a FoundationPose checkpoint (.pth)",
        DefaultValueFactory = _ => WeightSource.DefaultSpec,
    };

    public static Option<string> Provider() => new("--provider")
    {
        Description = "Execution provider: cpu, cuda or tensorrt",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Intra-op threads (default: one per core)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static RuntimeSettings Settings(ParseResult p, Option<string> provider, Option<int> threads)
    {
        int t = p.GetValue(threads);
        if (t < 0) throw new FpQuant.Core.FpQuantException($"--threads must be 0 or more, got {t}");
        return new RuntimeSettings { Provider = RuntimeSettings.ParseProvider(p.GetValue(provider)!), IntraOpThreads = t };
    }
}
