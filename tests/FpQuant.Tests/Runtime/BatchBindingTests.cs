using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Runtime;

/// <summary>
/// <see cref="BatchBinding"/>, the one IoBinding helper: with outputs bound to buffers (the tracking frame's path) and
/// with outputs handed to a sink (pooled batches), under every <see cref="MemoryArena"/>, a bound run gives what an
/// ordinary <see cref="ModelRunner.Run(IReadOnlyDictionary{string, FloatTensor}, IReadOnlyList{string})"/> gives,
/// for a full batch and a remainder.
/// </summary>
[Trait("Category", "Quick")]
public sealed class BatchBindingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fpq-binding-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Model()
    {
        string path = Path.Combine(_dir, "attention.onnx");
        OnnxModelFile.Save(TinyModels.MatMulActivationsSoftmax(), path);
        return path;
    }

    private static float[] Expected(ModelRunner runner, FloatTensor a, FloatTensor b) =>
        runner.Run(new Dictionary<string, FloatTensor> { ["A"] = a, ["B"] = b }).Single().Value.Data;

    [Theory]
    [InlineData(nameof(MemoryArena.Shrinking))]
    [InlineData(nameof(MemoryArena.Kept))]
    [InlineData(nameof(MemoryArena.Shared))]
    [InlineData(nameof(MemoryArena.None))]
    public void BoundOutputs_MatchAnOrdinaryRun(string arenaName)
    {
        var arena = Enum.Parse<MemoryArena>(arenaName);
        using var runner = new ModelRunner(Model(), new RuntimeSettings { IntraOpThreads = 1, Arena = arena });
        using var bound = runner.BindWithOutputs(new[] { ("A", new[] { 6, 8 }), ("B", new[] { 8, 6 }) },
            new[] { ("Y", new[] { 6, 6 }) }, capacity: 3);
        foreach (int count in new[] { 3, 2, 3 })
        {
            var a = TinyModels.Random((ulong)(10 + count), 1f, count, 6, 8);
            var b = TinyModels.Random((ulong)(20 + count), 1f, count, 8, 6);
            a.Data.CopyTo(bound.Input(0, count).Span);
            b.Data.CopyTo(bound.Input(1, count).Span);
            bound.Run(count);
            var got = bound.Output(0, count).ToArray();
            Assert.Equal(count * 36, got.Length);
            Assert.Equal(Expected(runner, a, b), got);
        }
    }

    [Fact]
    public void SinkOutputs_MatchAnOrdinaryRun_AndTheTwoKindsDoNotMix()
    {
        using var runner = new ModelRunner(Model(), new RuntimeSettings { IntraOpThreads = 1 });
        using var bound = runner.Bind(new[] { ("A", new[] { 6, 8 }), ("B", new[] { 8, 6 }) }, capacity: 2);
        var a = TinyModels.Random(31, 1f, 2, 6, 8);
        var b = TinyModels.Random(32, 1f, 2, 8, 6);
        a.Data.CopyTo(bound.Input(0, 2).Span);
        b.Data.CopyTo(bound.Input(1, 2).Span);
        float[]? got = null;
        long[]? shape = null;
        bound.Run(2, (i, values, s) => { Assert.Equal(0, i); got = values.ToArray(); shape = s; });
        Assert.Equal(new long[] { 2, 6, 6 }, shape);
        Assert.Equal(Expected(runner, a, b), got);
        Assert.Throws<InvalidOperationException>(() => bound.Run(2));
    }

    [Fact]
    public void UnknownOutput_IsNamed()
    {
        using var runner = new ModelRunner(Model(), new RuntimeSettings { IntraOpThreads = 1 });
        var e = Assert.Throws<FpQuantException>(() => runner.BindWithOutputs(
            new[] { ("A", new[] { 6, 8 }), ("B", new[] { 8, 6 }) }, new[] { ("Z", new[] { 6, 6 }) }, capacity: 1));
        Assert.Contains("no output 'Z'", e.Message);
    }
}
