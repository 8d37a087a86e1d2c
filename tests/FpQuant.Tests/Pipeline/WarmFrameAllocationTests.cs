using FpQuant.Networks;
using FpQuant.Pipeline;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Pipeline;

/// <summary>A warm first frame allocates no crop buffers. It counts the allocations of every thread (the crops are
/// rendered by parallel workers), so it runs with no other test beside it.</summary>
[Collection(SerialModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class WarmFrameAllocationTests
{
    private readonly ExportedModels _models;
    public WarmFrameAllocationTests(ExportedModels models) { _models = models; }

    private static RuntimeSettings Cpu => new() { IntraOpThreads = 2 };

    [Fact]
    public void WarmFrames_AllocateNoCropBuffers()
    {
        var s = DemoScene.Create();
        var frame = new FirstFrameSettings { Hypotheses = 8, Iterations = 2, RefineBatch = 4, ScoreChunk = 4,
            Diameter = s.Diameter, TranslationGuess = s.Guess.T };
        using var m = FirstFrameModels.Open(_models.Path(NetworkKind.Refine), _models.Path(NetworkKind.Score), Cpu,
            chunkedScore: true);
        var crops = new SceneCropSource(s);
        m.Runner.Run(frame, crops);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        m.Runner.Run(frame, crops);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        // Fresh crops would be 8 pairs x 3 passes x 2 crops x 614,400 bytes = 29.5 MB; what is left is the render
        // targets of the parallel workers, the poses and the small outputs.
        long freshCrops = 8L * 3 * 2 * CropLayout.PairFloats * sizeof(float);
        Assert.True(allocated < freshCrops / 4,
            $"a warm frame allocated {allocated / 1e6:F1} MB of managed memory (fresh crops would be " +
            $"{freshCrops / 1e6:F1} MB)");
    }
}
