using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Networks;

[Collection(ModelsCollection.Name)]
[Trait("Category", "Heavy")]
public class FoundationPoseGraphTests
{
    private readonly ExportedModels _models;
    public FoundationPoseGraphTests(ExportedModels models) { _models = models; }

    private static RuntimeSettings Cpu => new() { IntraOpThreads = 2 };

    [Fact]
    public void RefineNet_ReproducesPyTorchGolden()
    {
        using var m = new CropPairSession(_models.Path(NetworkKind.Refine), Cpu);
        var outs = m.Run(Golden.Load("refine.A"), Golden.Load("refine.B"));
        Assert.Equal(new[] { "trans", "rot" }, outs.Select(o => o.Name));
        Golden.AssertClose(Golden.Load("refine.trans"), outs[0].Value, "trans");
        Golden.AssertClose(Golden.Load("refine.rot"), outs[1].Value, "rot");
    }

    [Fact]
    public void ScoreNet_ReproducesPyTorchGolden()
    {
        using var m = new CropPairSession(_models.Path(NetworkKind.Score), Cpu);
        var outs = m.Run(Golden.Load("score.A"), Golden.Load("score.B"));
        Assert.Equal("score_logit", outs.Single().Name);
        Golden.AssertClose(Golden.Load("score.score_logit"), outs[0].Value, "score_logit");
    }

    [Theory]
    [InlineData(NetworkKind.Refine)]
    [InlineData(NetworkKind.Score)]
    public void IsaacLayout_GivesSameOutputsAsNchw(NetworkKind kind)
    {
        var (a, b) = kind == NetworkKind.Refine
            ? (Golden.Load("refine.A"), Golden.Load("refine.B"))
            : (Golden.Load("score.A"), Golden.Load("score.B"));
        using var nchw = new ModelRunner(_models.Path(kind), Cpu);
        using var isaac = new ModelRunner(_models.Path(kind, ModelLayout.Isaac), Cpu);
        Assert.Equal(new[] { "input1", "input2" }, isaac.InputNames);
        Assert.Equal(kind == NetworkKind.Refine ? new[] { "output1", "output2" } : new[] { "output1" },
            isaac.OutputNames);
        var x = nchw.Run(new Dictionary<string, FloatTensor> { ["A"] = a, ["B"] = b });
        var y = isaac.Run(new Dictionary<string, FloatTensor> { ["input1"] = CropLayout.NchwToNhwc(a),
            ["input2"] = CropLayout.NchwToNhwc(b) });
        Assert.Equal(x.Count, y.Count);
        for (int i = 0; i < x.Count; i++)
            Golden.AssertClose(x[i].Value, y[i].Value, y[i].Name);
    }

    [Fact]
    public void NodeAndInitializerNames_CarryModulePaths()
    {
        var refine = OnnxModelFile.Load(_models.Path(NetworkKind.Refine));
        var nodes = refine.Graph.Node.Select(n => n.Name).ToHashSet();
        var inits = refine.Graph.Initializer.Select(i => i.Name).ToHashSet();
        foreach (var n in new[] { "encodeAB.3.conv1", "encodeA.0.net.0", "trans_head.0.self_attn.in_proj",
            "trans_head.0.self_attn.out_proj", "trans_head.0.linear1", "trans_head.0.norm1", "rot_head.1" })
            Assert.Contains(n, nodes);
        Assert.Contains("encodeAB.3.conv1.weight", inits);
        Assert.DoesNotContain(refine.Graph.Node, n => n.OpType == "BatchNormalization");
        var ops = refine.Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Contains("LayerNormalization", ops);
        Assert.Contains("Softmax", ops);
        Assert.True(OnnxModelFile.OpsetOf(refine) >= 17);

        var score = OnnxModelFile.Load(_models.Path(NetworkKind.Score));
        var sn = score.Graph.Node.Select(n => n.Name).ToHashSet();
        foreach (var n in new[] { "att_cross.out_proj", "att.in_proj", "linear", "encoderAB.4.conv2" })
            Assert.Contains(n, sn);
        Assert.All(score.Graph.Initializer.Where(i => i.DataType == 1 && i.Dims.Count > 1),
            i => Assert.False(i.RawData.IsEmpty));
    }

    /// <summary>
    /// Pairs <paramref name="indices"/> of an N x 6 x 160 x 160 batch, in that order, as a new batch.
    /// </summary>
    private static FloatTensor Pick(FloatTensor t, params int[] indices)
    {
        int per = t.Data.Length / t.Shape[0];
        var data = new float[indices.Length * per];
        for (int i = 0; i < indices.Length; i++) Array.Copy(t.Data, indices[i] * per, data, i * per, per);
        return new FloatTensor(new[] { indices.Length }.Concat(t.Shape.Skip(1)).ToArray(), data);
    }

    [Fact]
    public void RefineNet_BatchOfN_EqualsNRunsOfBatch1()
    {
        // RefineNet treats every pair on its own (spec section 4): row i of a batch of 4 is what pair i gives alone.
        // The golden files cover batch 2 only; a pair-mixing bug (softmax or a mean over the batch axis, a reshape that
        // folds pairs into tokens) gives the right shapes and finite values at every N.
        using var m = new CropPairSession(_models.Path(NetworkKind.Refine), Cpu);
        var (r, o) = SyntheticCrops.Generate(4, 3);
        var batch = m.Run(r, o);
        Assert.Equal(new[] { 4, 3 }, batch[0].Value.Shape);
        for (int i = 0; i < 4; i++)
        {
            var single = m.Run(Pick(r, i), Pick(o, i));
            for (int k = 0; k < batch.Count; k++)
                Golden.AssertClose(single[k].Value, Pick(batch[k].Value, i), $"{batch[k].Name} of pair {i}");
        }
        // The pairs differ, so agreeing row by row is not agreeing with a constant.
        Assert.True(Math.Abs(batch[1].Value.Data[0] - batch[1].Value.Data[3]) > 1e-3,
            "pairs 0 and 1 give the same rot");
    }

    [Fact]
    public void ScoreNet_GroupOfN_IsPermutationEquivariant_AndCopiesScoreLikeOnePair()
    {
        // ScoreNet ranks the N pairs as one group (spec section 5: att_cross across the N hypotheses), so batch N is
        // not N runs of batch 1. What holds instead: (1) reordering the pairs reorders the logits; (2) a group of
        // identical copies scores each copy as that pair alone (attention over equal items returns that item);
        // (3) a pair's logit depends on the other pairs in its group.
        using var m = new CropPairSession(_models.Path(NetworkKind.Score), Cpu);
        var (r, o) = SyntheticCrops.Generate(4, 3);
        var y = m.Run(r, o)[0].Value;
        Assert.Equal(new[] { 1, 4 }, y.Shape);
        int[] perm = { 2, 0, 3, 1 };
        var yp = m.Run(Pick(r, perm), Pick(o, perm))[0].Value;
        for (int i = 0; i < 4; i++)
            Assert.True(Math.Abs(yp.Data[i] - y.Data[perm[i]]) <= ScoreTol,
                $"permuted slot {i}: {yp.Data[i]} vs pair {perm[i]}'s {y.Data[perm[i]]}");
        var alone = m.Run(Pick(r, 1), Pick(o, 1))[0].Value.Data[0];
        var copies = m.Run(Pick(r, 1, 1, 1), Pick(o, 1, 1, 1))[0].Value;
        Assert.All(copies.Data,
            v => Assert.True(Math.Abs(v - alone) <= ScoreTol, $"copy scored {v}, the pair alone {alone}"));
        Assert.True(Math.Abs(y.Data[1] - alone) > 10 * ScoreTol,
            $"pair 1 scores {y.Data[1]} in the group and {alone} alone: the group has no effect");
        // And the logits of different pairs differ by more than the tolerance used above.
        Assert.True(y.Data.Max() - y.Data.Min() > 10 * ScoreTol, $"logits {string.Join(", ", y.Data)}");
    }

    /// <summary>Float rounding of ScoreNet's logits (about -20) across batch sizes: a few ulps of 20, well under the
    /// spread between pairs (a few thousandths with synthetic weights).</summary>
    private const float ScoreTol = 2e-5f;

    [Fact]
    public void SameSeed_ByteIdenticalFiles_OtherSeed_OtherOutputs()
    {
        using var tmp = new TempDir();
        NetworkExport.Export(NetworkKind.Score, "synthetic:0", ModelLayout.Nchw, tmp.File("again.onnx"));
        Assert.Equal(File.ReadAllBytes(_models.Path(NetworkKind.Score)), File.ReadAllBytes(tmp.File("again.onnx")));
        NetworkExport.Export(NetworkKind.Score, "synthetic:7", ModelLayout.Nchw, tmp.File("seed7.onnx"));
        using var m0 = new CropPairSession(_models.Path(NetworkKind.Score), Cpu);
        using var m7 = new CropPairSession(tmp.File("seed7.onnx"), Cpu);
        var a = Golden.Load("score.A"); var b = Golden.Load("score.B");
        var y0 = m0.Run(a, b)[0].Value.Data;
        var y7 = m7.Run(a, b)[0].Value.Data;
        Assert.True(y0.Zip(y7).Max(p => Math.Abs(p.First - p.Second)) > 1e-3,
            "seed 7 should give other logits than seed 0");
    }

    [Fact]
    public void BatchNormFold_IsExactOnAHandCase()
    {
        var w = new FloatTensor(new[] { 2, 1, 1, 1 }, new[] { 2f, -1f });
        var b = new FloatTensor(new[] { 2 }, new[] { 0.5f, 1f });
        var gamma = new FloatTensor(new[] { 2 }, new[] { 3f, 1f });
        var beta = new FloatTensor(new[] { 2 }, new[] { 0.25f, -1f });
        var mean = new FloatTensor(new[] { 2 }, new[] { 1f, 0f });
        var var_ = new FloatTensor(new[] { 2 }, new[] { 4f - 1e-5f, 1f - 1e-5f });
        var (fw, fb) = FoundationPoseGraph.FoldBatchNorm(w, b, gamma, beta, mean, var_);
        // channel 0: s = 3/2; w' = 3; b' = (0.5-1)*1.5 + 0.25 = -0.5. channel 1: s = 1; w' = -1; b' = 1 - 1 = 0.
        Assert.Equal(3f, fw.Data[0], 5);
        Assert.Equal(-0.5f, fb.Data[0], 5);
        Assert.Equal(-1f, fw.Data[1], 5);
        Assert.Equal(0f, fb.Data[1], 5);
    }
}
