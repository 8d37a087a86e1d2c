namespace FpQuant.Evaluation;

/// <summary>OUT/run.json: what a run's results.jsonl was made with. --resume checks the settings and the shard;
/// `eval merge` checks that shards share the settings, the variants and the selection (every selected instance's
/// key, in order), and that their shards are distinct and complete.</summary>
internal sealed record EvalRunInfo
{
    public required string Settings { get; init; }
    public string? Shard { get; init; }
    public required List<EvalRunVariant> Variants { get; init; }
    public required List<string> Selected { get; init; }
}

internal sealed record EvalRunVariant(string Name, string Description);
