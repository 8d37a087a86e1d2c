using System.CommandLine;
using System.Text.RegularExpressions;

namespace FpQuant.Cli;

/// <summary>
/// The one map from the library's names for its options (the property or parameter a message names, e.g.
/// "HistogramBins must be at least 16") to the flags of this CLI ("--bins"). The library never names a flag; the CLI
/// rewrites its messages, warnings and notes here before printing them, so its users read the flags they typed.
/// An entry applies only where the running verb has that flag: the same library name stays itself on a verb that
/// has no flag for it, and one name may map to different flags on different verbs.
/// </summary>
internal static class CliFlags
{
    /// <summary>Library name, CLI flag. A name starting with a capital (a property, or Type.Property) is rewritten
    /// wherever it stands as a whole word; a lower-case one (a method's parameter) only at the start of the text
    /// (or after the flag the CLI put before it), where a message names what it is about, so ordinary words elsewhere
    /// stay.</summary>
    internal static readonly (string Name, string Flag)[] Map =
    {
        // QuantizationOptions, AutoQuantRequest
        ("Percentile", "--percentile"), ("HistogramBins", "--bins"), ("QuantizedBins", "--quantized-bins"),
        ("SmoothingAlpha", "--smooth"), ("SmoothingPerLayer", "--smooth"), ("ActivationType", "--activation-type"),
        ("Include", "--include"), ("Exclude", "--exclude"), ("OpTypes", "--op-types"), ("MaxTrials", "--max-trials"),
        ("FloatTensors", "--float-tensors"),
        // Input sources: ImageOptions, TextOptions, batch sizes, evaluation budgets
        ("ImageOptions.Mean", "--image-mean"), ("ImageOptions.Std", "--image-std"),
        ("ImageOptions.Scale", "--image-scale"),
        ("ImageOptions.Width/Height", "--image-size"), ("ImageOptions.MeanImage", "--image-mean-image"),
        ("ImageOptions.Layout", "--image-layout"), ("TextOptions.MaxLength", "--max-length"),
        ("TextOptions.Vocab", "--vocab"),
        ("batchSize", "--calibration-batch"), ("pairs", "--calibration-count"), ("budget", "--budget"),
        ("rounds", "--rounds"), ("variants", "--variants"), ("batch", "--batch"),
        // FoundationPose: first frame, tracking, datasets, evaluation, crops, benchmarks
        ("Hypotheses", "--hypotheses"), ("Iterations", "--iterations"), ("RefineBatch", "--refine-batch"),
        ("ScoreChunk", "--score-chunk"), ("MaxMemoryBytes", "--max-memory"),
        ("TrackSettings.Iterations", "--track-iterations"),
        ("LostScoreThreshold", "--lost-score"), ("MaxFrames", "--max-frames"), ("maxFrames", "--max-frames"),
        ("images", "--images"), ("frames", "--frames"), ("scene", "--scene"), ("object", "--object"),
        ("split", "--split"),
        ("Scenes", "--scenes"), ("Objects", "--objects"), ("MaxInstances", "--max-instances"),
        ("MinVisible", "--min-visible"),
        ("UseTargets", "--all-instances"), ("Variants", "--variants"), ("CalibrationPairs", "--calibration-count"),
        ("OutDir", "--out"), ("outDir", "--out"), ("Resume", "--resume"), ("Shard", "--shard"), ("shard", "--shard"),
        ("CacheDir", "--cache"), ("model list", "--model"), ("weights", "--weights"), ("variant", "--variant"),
        ("Count", "--count"), ("ShardSize", "--shard-size"), ("Group", "--group"), ("Threads", "--threads"),
        ("CropType", "--dtype"), ("MaxTranslationFraction", "--max-trans-frac"), ("MaxRotationDeg", "--max-rot-deg"),
        ("Kind", "--kind"), ("TrackBenchSettings.Threads", "--track-threads"),
        ("TrackBenchSettings.Rounds", "--track-rounds"),
        ("WarmupFrames", "--warmup"), ("Repeats", "--repeats"), ("Warmup", "--warmup"),
    };

    /// <summary>The flags of the verb <paramref name="parse"/> runs.</summary>
    private static HashSet<string> FlagsOf(ParseResult parse) =>
        parse.CommandResult.Command.Options.SelectMany(o => o.Aliases.Prepend(o.Name))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The library's <paramref name="text"/> in this verb's words: each option name the map knows and the
    /// verb has a flag for becomes that flag.</summary>
    public static string Words(string text, ParseResult parse) => Words(text, FlagsOf(parse));

    internal static string Words(string text, IReadOnlySet<string> flags)
    {
        foreach (var (name, flag) in Map.OrderByDescending(e => e.Name.Length))
        {
            if (!flags.Contains(flag)) continue;
            text = char.IsUpper(name[0])
                ? Regex.Replace(text, $@"(?<![\w.]){Regex.Escape(name)}(?![\w])", flag)
                : Regex.Replace(text, $@"^((?:--[a-z][a-z0-9-]* )?){Regex.Escape(name)}(?![\w])", "${1}" + flag);
        }
        return text;
    }
}
