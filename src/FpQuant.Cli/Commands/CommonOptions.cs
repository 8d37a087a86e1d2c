using System.CommandLine;
using FpQuant.Networks;
using FpQuant.Runtime;

namespace FpQuant.Cli.Commands;

/// <summary>Options shared by several verbs, spelled the same everywhere.</summary>
internal static class CommonOptions
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

    public static Option<string> MaxMemory() => new("--max-memory")
    {
        Description = "Memory budget of the process (e.g. 1GB, 800MB): picks the refine batch and the score chunk; 0 " +
            "= none (refine in --refine-batch, score all hypotheses in one call)",
        DefaultValueFactory = _ => "1GB",
    };

    public static Option<int> ScoreChunk() => new("--score-chunk")
    {
        Description = "Pairs per call of ScoreNet's per-pair part (0 = from --max-memory); the cross attention " +
            "always sees all hypotheses",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string> Arena() => new("--arena")
    {
        Description = "Where ONNX Runtime keeps activations between runs: shrinking (an arena per session, handed " +
            "back when a phase ends), kept (ONNX Runtime's default), shared (one for all sessions), none",
        DefaultValueFactory = _ => "shrinking",
    };

    public static MemoryArena ParseArena(string text) => text.Trim().ToLowerInvariant() switch
    {
        "shrinking" => MemoryArena.Shrinking,
        "kept" => MemoryArena.Kept,
        "shared" => MemoryArena.Shared,
        "none" => MemoryArena.None,
        _ =>
            throw new FpQuant.Core.FpQuantException(
                $"--arena '{text}' is not known: use shrinking, kept, shared or none"),
    };

    public static RuntimeSettings Settings(ParseResult p, Option<string> provider, Option<int> threads)
    {
        int t = p.GetValue(threads);
        if (t < 0) throw new FpQuant.Core.FpQuantException($"--threads must be 0 or more, got {t}");
        return new RuntimeSettings { Provider = FlagValues.Provider(p.GetValue(provider)!), IntraOpThreads = t };
    }
}
