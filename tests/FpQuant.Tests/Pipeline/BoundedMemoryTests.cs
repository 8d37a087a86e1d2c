using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Pipeline;

/// <summary>The first frame in bounded memory: ScoreNet scored in chunks gives the same frame as one group, the
/// batch plan follows the budget.</summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class BoundedMemoryTests
{
    private readonly ExportedModels _models;
    public BoundedMemoryTests(ExportedModels models) { _models = models; }

    private static readonly Lazy<Scene> Demo = new(() => DemoScene.Create());
    private static RuntimeSettings Cpu => new() { IntraOpThreads = 2 };

    [Fact]
    public void ChunkedScoring_GivesTheSameFrameAsOneGroup()
    {
        var s = Demo.Value;
        var frame = new FirstFrameSettings { Hypotheses = 7, Iterations = 1, RefineBatch = 4, Diameter = s.Diameter,
            TranslationGuess = s.Guess.T };
        FirstFrameResult whole, chunked;
        using (var m = FirstFrameModels.Open(_models.Path(NetworkKind.Refine), _models.Path(NetworkKind.Score), Cpu,
            chunkedScore: false))
            whole = m.Runner.Run(frame, new SceneCropSource(s));
        using (var m = FirstFrameModels.Open(_models.Path(NetworkKind.Refine), _models.Path(NetworkKind.Score), Cpu,
            chunkedScore: true))
            chunked = m.Runner.Run(frame with { ScoreChunk = 3 }, new SceneCropSource(s));
        Assert.Equal(7, whole.Plan!.ScoreChunk);
        Assert.Equal(3, chunked.Plan!.ScoreChunk);
        // Refinement is untouched (the same batches), so the poses are bit for bit the same.
        Assert.Equal(whole.RefineOutputs, chunked.RefineOutputs);
        Assert.Equal(whole.Poses, chunked.Poses);
        double tol = 1e-5 * Math.Max(1, whole.Scores.Max(MathF.Abs));
        for (int i = 0; i < 7; i++)
            Assert.True(Math.Abs(whole.Scores[i] - chunked.Scores[i]) <= tol,
                $"score {i}: one group {whole.Scores[i]}, chunks of 3 {chunked.Scores[i]}");
        Assert.Equal(whole.Best, chunked.Best);
    }

    [Fact]
    public void Budget_PicksBatchesThatFit_AndSaysWhy()
    {
        var s = new FirstFrameSettings { Hypotheses = 252, RefineBatch = 42 };
        long models = 132L << 20;
        var none = MemoryBudget.Plan(s, models, chunkedScore: true);
        Assert.Equal((42, 252), (none.RefineBatch, none.ScoreChunk));
        var oneGb = MemoryBudget.Plan(s with { MaxMemoryBytes = 1L << 30 }, models, chunkedScore: true);
        Assert.InRange(oneGb.RefineBatch, 8, 41);
        Assert.InRange(oneGb.ScoreChunk, 8, 251);
        long estimate = MemoryBudget.ProcessBytes + (long)(MemoryBudget.WeightsPerModelByte * models)
            + Math.Max(oneGb.RefineBatch * (MemoryBudget.RefineBytesPerPair + MemoryBudget.CropBytesPerPair),
                oneGb.ScoreChunk * (MemoryBudget.ScoreBytesPerPair + MemoryBudget.CropBytesPerPair));
        Assert.True(estimate <= 1L << 30, $"the plan's own estimate {estimate >> 20} MB exceeds the budget");
        Assert.Contains("1024 MB", oneGb.Reason);
        // More memory never means smaller batches; a whole-model scorer is never chunked.
        var twoGb = MemoryBudget.Plan(s with { MaxMemoryBytes = 2L << 30 }, models, chunkedScore: true);
        Assert.True(twoGb.RefineBatch >= oneGb.RefineBatch && twoGb.ScoreChunk >= oneGb.ScoreChunk);
        Assert.Equal(252,
            MemoryBudget.Plan(s with { MaxMemoryBytes = 1L << 30 }, models, chunkedScore: false).ScoreChunk);
        // A budget below the weights runs one pair at a time and says so.
        var tiny = MemoryBudget.Plan(s with { MaxMemoryBytes = 100L << 20 }, models, chunkedScore: true);
        Assert.Equal((1, 1), (tiny.RefineBatch, tiny.ScoreChunk));
        Assert.Contains("one pair at a time", tiny.Reason);
        // Runs are balanced: the fewest runs the cap allows, of equal size.
        Assert.Equal(42, MemoryBudget.Plan(s with { Hypotheses = 126, ScoreChunk = 48 }, models, chunkedScore: true)
            .ScoreChunk);
        Assert.Equal(34, MemoryBudget.Plan(s with { Hypotheses = 100 }, models, chunkedScore: true).RefineBatch);
        Assert.Equal([43, 43, 41], FirstFrameRunner.Steps(127, MemoryBudget.Balanced(127, 48)).Select(x => x.Count));
        // An explicit chunk caps the budget's.
        Assert.Equal(5,
            MemoryBudget.Plan(s with { MaxMemoryBytes = 1L << 30, ScoreChunk = 5 }, models, chunkedScore: true)
                .ScoreChunk);
    }

    [Theory]
    [InlineData("1GB", 1L << 30)]
    [InlineData("1.5 GB", 3L << 29)]
    [InlineData("800MB", 800L << 20)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("0", 0L)]
    [InlineData("none", 0L)]
    [InlineData("1000000", 1000000L)]
    public void BudgetSizes_Parse(string text, long bytes) =>
        Assert.Equal(bytes, FpQuant.Cli.Commands.FlagValues.MemorySize(text));

    [Theory]
    [InlineData("lots")]
    [InlineData("-1GB")]
    [InlineData("1TBB")]
    [InlineData("")]
    public void BadBudget_NamesTheOption(string text)
    {
        var e = Assert.Throws<FpQuantException>(() => FpQuant.Cli.Commands.FlagValues.MemorySize(text));
        Assert.Contains("--max-memory", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
