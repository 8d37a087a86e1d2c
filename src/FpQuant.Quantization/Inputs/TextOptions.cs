namespace FpQuant.Inputs;

/// <summary>How sentences become a BERT-style model's inputs: WordPiece with the model's vocabulary.</summary>
public sealed record TextOptions
{
    /// <summary>The WordPiece vocab.txt; by default the one beside the model.</summary>
    public string? Vocab { get; init; }
    /// <summary>Tokens per sentence at most, [CLS] and [SEP] included (longer sentences are cut).</summary>
    public int MaxLength { get; init; } = 128;
    /// <summary>Lower-case text before tokenizing (uncased vocabularies).</summary>
    public bool Lowercase { get; init; } = true;
}
