using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Pipeline;
using FpQuant.Quantization;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Onnx;

namespace FpQuant.Tests.Networks;

/// <summary>ScoreNet cut into its per-pair part (run in chunks) and its cross part (run once): the same logits as
/// the whole model over one group, for our exports, a copy with every internal name changed (the cut is found by
/// structure), the Isaac ROS layout and quantized copies.</summary>
[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class ChunkedScoreTests
{
    private readonly ExportedModels _models;
    public ChunkedScoreTests(ExportedModels models) { _models = models; }

    private static RuntimeSettings Cpu => new() { IntraOpThreads = 2 };

    /// <summary>Logits of the chunked model over pairs [0, n) in chunks of <paramref name="chunk"/>.</summary>
    private static float[] Chunked(ChunkedScoreModel m, FloatTensor a, FloatTensor b, int chunk)
    {
        int n = a.Shape[0];
        foreach (var (start, count) in FirstFrameRunner.Steps(n, chunk))
        {
            var (ra, ob) = m.PerPair.PooledInputs(count);
            a.Data.AsSpan(start * CropLayout.PairFloats, count * CropLayout.PairFloats).CopyTo(ra.Span);
            b.Data.AsSpan(start * CropLayout.PairFloats, count * CropLayout.PairFloats).CopyTo(ob.Span);
            m.Pool(count, start, n, endsPhase: start + count >= n);
        }
        return m.Logits(n);
    }

    /// <summary>Tolerances scale with the logits, as the golden manifest's rule does: 1e-5 x max(1, max|logit|) is
    /// a few float32 steps at FoundationPose's logits (about 20).</summary>
    private static void AssertWithin(float[] expected, float[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol,
                $"{what}[{i}]: one group {expected[i]}, chunked {actual[i]} (tolerance {tol})");
    }

    [Fact]
    public void GoldenPairs_InChunksOfOneAndTwo_MatchOneGroupWithin1e5_AndPyTorch()
    {
        var a = Golden.Load("score.A");
        var b = Golden.Load("score.B");
        using var whole = new CropPairSession(_models.Path(NetworkKind.Score), Cpu);
        var oneGroup = whole.Run(a, b)[0].Value.Data;
        using var m = ChunkedScoreModel.Open(_models.Path(NetworkKind.Score), Cpu);
        Assert.Equal("att/token_mean", m.CutTensor);
        foreach (int chunk in new[] { 1, 2, 3 })
        {
            var got = Chunked(m, a, b, chunk);
            AssertWithin(oneGroup, got, 1e-5 * Math.Max(1, oneGroup.Max(MathF.Abs)), $"chunk {chunk}");
            Golden.AssertClose(Golden.Load("score.score_logit"), new FloatTensor(new[] { 1, 3 }, got),
                $"chunk {chunk}");
        }
    }

    /// <summary>
    /// Every node, initializer and internal tensor renamed: the cut must come from the graph's shape alone.
    /// </summary>
    [Fact]
    public void IsaacLayout_WithEveryInternalNameChanged_CutsAtTheSamePlace()
    {
        var model = OnnxModelFile.Load(_models.Path(NetworkKind.Score, ModelLayout.Isaac));
        var original = model.Graph.Node.Single(n => n.OpType == "ReduceMean").Output[0];
        var renamed = RenameInternals(model, out var map);
        using var tmp = new TempDir();
        string path = tmp.File("score_model.onnx");
        OnnxModelFile.Save(renamed, path);
        var a = Golden.Load("score.A");
        var b = Golden.Load("score.B");
        using var whole = new CropPairSession(_models.Path(NetworkKind.Score), Cpu);
        var oneGroup = whole.Run(a, b)[0].Value.Data;
        using var m = ChunkedScoreModel.Open(path, Cpu);
        Assert.Equal(ModelLayout.Isaac, m.Signature.Layout);
        Assert.Equal(map[original], m.CutTensor);
        AssertWithin(oneGroup, Chunked(m, a, b, 2), 1e-5 * Math.Max(1, oneGroup.Max(MathF.Abs)), "isaac, renamed");
    }

    [Theory]
    [InlineData("onnx-static")]
    [InlineData("onnx-dynamic")]
    [InlineData("fp16")]
    public void QuantizedCopies_AreCut_AndScoreLikeTheirOneGroup(string preset)
    {
        string src = _models.Path(NetworkKind.Score);
        var r = ModelQuantizer.Quantize(OnnxModelFile.Load(src), src, FoundationPosePresets.Get(preset), preset,
            new SyntheticInputSource(2, 5, 2), Cpu);
        using var tmp = new TempDir();
        string path = tmp.File($"{preset}.onnx");
        ModelQuantizer.Save(r, path, src);
        var (a, b) = SyntheticCrops.Generate(4, 11, 0);
        using var whole = new CropPairSession(path, Cpu);
        var oneGroup = whole.Run(a, b)[0].Value.Data;
        using var m = ChunkedScoreModel.Open(path, Cpu);
        var got = Chunked(m, a, b, 2);
        if (preset != "onnx-dynamic")
        {
            // Static and fp16 copies compute each pair on its own: chunks change nothing but float rounding.
            AssertWithin(oneGroup, got, 1e-5 * Math.Max(1, oneGroup.Max(MathF.Abs)), preset);
            return;
        }
        // Dynamic quantization picks each call's activation scale from all pairs in it, so a chunk quantizes its
        // pairs differently from the whole group: neither is the reference. Both must stay as close to the float
        // model as the other.
        using var fp = new CropPairSession(src, Cpu);
        var reference = fp.Run(a, b)[0].Value.Data;
        double errOne = oneGroup.Zip(reference, (x, y) => Math.Abs(x - y)).Max();
        double errChunked = got.Zip(reference, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(errChunked <= 2 * errOne + 1e-3,
            $"chunked dynamic copy is {errChunked} from the float model, one group {errOne}");
    }

    [Fact]
    public void ModelWithoutATokenMean_GivesOneClearLine()
    {
        // RefineNet's heads take token means too, but nothing attends across pairs after them, and it has two outputs.
        var refine = OnnxModelFile.Load(_models.Path(NetworkKind.Refine));
        var e = Assert.Throws<FpQuantException>(() => ScoreNetSplit.Split(refine, "model 'refine.onnx'"));
        Assert.Contains("refine.onnx", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        // A score model that pools its tokens some other way (here a max) has no token mean to cut at.
        var score = OnnxModelFile.Load(_models.Path(NetworkKind.Score));
        var mean = score.Graph.Node.Single(n => n.OpType == "ReduceMean");
        mean.OpType = "ReduceMax";
        var e2 = Assert.Throws<FpQuantException>(() => ScoreNetSplit.Split(score, "model 'score.onnx'"));
        Assert.Contains("cannot find where ScoreNet pools each pair", e2.Message);
        Assert.Contains("MaxMemoryBytes to 0", e2.Message);
    }

    /// <summary>
    /// The 252 hypotheses of the demo frame, scored in chunks of 36 and as one group (3 GB): within 1e-5.
    /// </summary>
    [Fact]
    [Trait("Category", "Heavy")]
    public void DemoFrame252Pairs_InChunks_MatchOneGroupWithin1e5()
    {
        var scene = DemoScene.Create();
        var poses = PoseHypotheses.Generate(scene.Guess.T, 252);
        var crops = new SceneCropSource(scene).Crops(poses, 0, 252, -1);
        float[] oneGroup;
        using (var whole = new CropPairSession(_models.Path(NetworkKind.Score), Cpu))
            oneGroup = whole.Run(crops.Rendered, crops.Observed)[0].Value.Data;
        using var m = ChunkedScoreModel.Open(_models.Path(NetworkKind.Score), Cpu);
        var got = Chunked(m, crops.Rendered, crops.Observed, 36);
        Assert.Equal(252, got.Length);
        AssertWithin(oneGroup, got, 1e-5 * Math.Max(1, oneGroup.Max(MathF.Abs)), "252 demo pairs");
        Assert.True(oneGroup.Max() - oneGroup.Min() > 1e-3, "the demo's hypotheses score differently");
    }

    private static ModelProto RenameInternals(ModelProto model, out Dictionary<string, string> map)
    {
        var m = model.Clone();
        var g = m.Graph;
        var keep = g.Input.Select(i => i.Name).Concat(g.Output.Select(o => o.Name)).ToHashSet();
        var names = new Dictionary<string, string>();
        string Rename(string n) => n.Length == 0 || keep.Contains(n) ? n
            : names.TryGetValue(n, out var r) ? r : names[n] = $"t{names.Count}";
        foreach (var i in g.Initializer) i.Name = Rename(i.Name);
        int k = 0;
        foreach (var node in g.Node)
        {
            node.Name = $"n{k++}";
            for (int i = 0; i < node.Input.Count; i++) node.Input[i] = Rename(node.Input[i]);
            for (int i = 0; i < node.Output.Count; i++) node.Output[i] = Rename(node.Output[i]);
        }
        foreach (var v in g.ValueInfo) v.Name = Rename(v.Name);
        map = names;
        return m;
    }
}
