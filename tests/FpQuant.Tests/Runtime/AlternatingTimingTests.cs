using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Google.Protobuf;

namespace FpQuant.Tests.Runtime;

/// <summary>The one timing loop of bench-model and autoquant: every model timed once a round, none for a missing one,
/// and sessions that keep their arena.</summary>
[Trait("Category", "Quick")]
public class AlternatingTimingTests
{
    [Fact]
    public void Measure_TimesEveryRunnerOnceARound_AndSkipsMissingOnes()
    {
        var settings = AlternatingTiming.ForTiming(new RuntimeSettings { IntraOpThreads = 1 });
        byte[] mlp = TinyModels.Mlp().ToByteArray();
        using var a = new ModelRunner(mlp, "a", settings);
        using var b = new ModelRunner(mlp, "b", settings);
        var batch = TinyModels.Batches(3, 1, 4, 64)[0];
        var progress = new TinyModels.ProgressLines();
        var times = AlternatingTiming.Measure(new ModelRunner?[] { a, null, b }, batch, rounds: 5, warmups: 1,
            progress);
        Assert.Equal(new[] { 5, 0, 5 }, times.Select(t => t.Count));
        Assert.All(times[0].Concat(times[2]), ms => Assert.True(ms > 0 && double.IsFinite(ms), $"{ms} ms"));
        Assert.Equal("latency round 5/5", progress.Lines[^1]);
    }

    [Fact]
    public void ForTiming_KeepsAShrinkingArena_AndLeavesOtherSettingsAlone()
    {
        var shrinking = new RuntimeSettings { IntraOpThreads = 3, Arena = MemoryArena.Shrinking };
        Assert.Equal(shrinking with { Arena = MemoryArena.Kept }, AlternatingTiming.ForTiming(shrinking));
        foreach (var arena in new[] { MemoryArena.Kept, MemoryArena.Shared, MemoryArena.None })
            Assert.Equal(arena, AlternatingTiming.ForTiming(shrinking with { Arena = arena }).Arena);
    }
}
