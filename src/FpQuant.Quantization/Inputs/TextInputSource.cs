using FpQuant.Core;
using FpQuant.Quantization.Calibration;
using Microsoft.ML.Tokenizers;
using Onnx;

namespace FpQuant.Inputs;

/// <summary>
/// Sentences for a BERT-style model, one a line (blank lines skipped), tokenized by Microsoft.ML.Tokenizers' WordPiece
/// BertTokenizer with the model's vocab.txt: [CLS] tokens [SEP], cut to MaxLength, padded to the batch's longest
/// sentence (or to the model's fixed sequence length). Inputs are matched by name: input_ids (required),
/// attention_mask (1 for tokens, 0 for padding) and token_type_ids (all 0, one segment).
/// </summary>
internal sealed class TextInputSource : InputSource
{
    public string File { get; }
    public int? Count { get; }
    public TextOptions Options { get; }
    public int BatchSize { get; }

    public TextInputSource(string file, int? count, TextOptions options, int batchSize = CalibrationDefaults.BatchSize)
    {
        if (count is <= 0) throw new FpQuantException($"text:{file}: the sentence count must be positive, got {count}");
        if (batchSize <= 0) throw new FpQuantException($"batchSize must be positive, got {batchSize}");
        if (options.MaxLength < 3)
            throw new FpQuantException($"TextOptions.MaxLength must be at least 3 ([CLS], a token, [SEP]), got " +
                $"{options.MaxLength}");
        File = file; Count = count; Options = options; BatchSize = batchSize;
    }

    public override string Description => $"text:{File}" + (Count is int c ? $" (first {c} sentences)" : "") + $", " +
        $"WordPiece {(Options.Lowercase ? "uncased" : "cased")}, at most {Options.MaxLength} tokens";

    public List<string> Sentences()
    {
        if (!System.IO.File.Exists(File)) throw new FpQuantException($"text:{File}: the file does not exist");
        var lines = System.IO.File.ReadLines(File).Select(l => l.Trim()).Where(l => l.Length > 0);
        var list = (Count is int c ? lines.Take(c) : lines).ToList();
        if (list.Count == 0) throw new FpQuantException($"text:{File}: no sentences (one a line)");
        return list;
    }

    /// <summary>The vocabulary: the option, or vocab.txt beside the model.</summary>
    public string VocabFor(string modelSource)
    {
        string vocab = Options.Vocab
            ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelSource)) ?? ".", "vocab.txt");
        if (!System.IO.File.Exists(vocab))
            throw new FpQuantException($"text:{File}: the WordPiece vocabulary '{vocab}' does not exist; give " +
                $"TextOptions.Vocab (the model's vocab.txt)");
        return vocab;
    }

    internal override IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource)
    {
        var inputs = ModelInput.Of(model, modelSource);
        ModelInput? ids = null, mask = null, types = null;
        foreach (var i in inputs)
        {
            if (i.Rank != 2)
                throw new FpQuantException($"text:{File}: input '{i.Name}' is {i.Describe()}; text feeds [batch x " +
                    $"sequence] inputs");
            if (i.Name.Contains("input_ids", StringComparison.Ordinal)) ids = i;
            else if (i.Name.Contains("attention_mask", StringComparison.Ordinal)) mask = i;
            else if (i.Name.Contains("token_type_ids", StringComparison.Ordinal)
                || i.Name.Contains("segment_ids", StringComparison.Ordinal)) types = i;
            else throw new FpQuantException($"text:{File}: input '{i.Name}' ({i.Describe()}) is none of input_ids, " +
                $"attention_mask, token_type_ids; use npy:DIR for this model");
        }
        if (ids == null)
            throw new FpQuantException($"text:{File}: {modelSource} has no input_ids input (its inputs: " +
                $"{string.Join(", ", inputs.Select(i => i.Name))})");
        long fixedLength = ids.Dims[1];
        if (fixedLength > 0 && fixedLength < 3)
            throw new FpQuantException(
                $"text:{File}: input '{ids.Name}' is {ids.Describe()}: too short for [CLS] and [SEP]");
        int maxLength = fixedLength > 0 ? (int)Math.Min(fixedLength, Options.MaxLength) : Options.MaxLength;
        string vocab = VocabFor(modelSource);
        var tokenizer =
            BertTokenizer.Create(vocab, new BertOptions { LowerCaseBeforeTokenization = Options.Lowercase });
        var sentences = Sentences();
        int batch = ModelInput.BatchSize(inputs, BatchSize, modelSource);
        for (int start = 0; start + (ids.FixedBatch != null ? batch : 1) <= sentences.Count; start += batch)
        {
            int n = Math.Min(batch, sentences.Count - start);
            var encoded = new List<int[]>(n);
            for (int k = 0; k < n; k++)
            {
                var body = tokenizer.EncodeToIds(sentences[start + k], addSpecialTokens: false,
                    considerPreTokenization: true, considerNormalization: true);
                var tokens = new List<int>(maxLength) { tokenizer.ClassificationTokenId };
                tokens.AddRange(body.Take(maxLength - 2));
                tokens.Add(tokenizer.SeparatorTokenId);
                encoded.Add(tokens.ToArray());
            }
            int length = fixedLength > 0 ? (int)fixedLength : encoded.Max(e => e.Length);
            var idData = new long[n * length];
            var maskData = new long[n * length];
            for (int k = 0; k < n; k++)
                for (int t = 0; t < length; t++)
                {
                    bool real = t < encoded[k].Length;
                    idData[k * length + t] = real ? encoded[k][t] : tokenizer.PaddingTokenId;
                    maskData[k * length + t] = real ? 1 : 0;
                }
            var shape = new[] { n, length };
            var feeds = new Dictionary<string,
                InputTensor>(StringComparer.Ordinal) { [ids.Name] = ids.FromIntegers(shape, idData) };
            if (mask != null) feeds[mask.Name] = mask.FromIntegers(shape, maskData);
            if (types != null) feeds[types.Name] = types.FromIntegers(shape, new long[n * length]);
            yield return feeds;
        }
    }
}
