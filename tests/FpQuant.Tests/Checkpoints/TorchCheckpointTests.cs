using System.Text.Json;
using FpQuant.Checkpoints;
using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Runtime;
using FpQuant.Tests.Support;

namespace FpQuant.Tests.Checkpoints;

[Trait("Category", "Heavy")]
public class TorchCheckpointTests
{
    private static readonly JsonElement Manifest =
        JsonDocument.Parse(File.ReadAllText(TestPaths.Golden("checkpoints", "manifest.json"))).RootElement;

    private static string File_(string name) => TestPaths.Golden("checkpoints", name);

    public static TheoryData<string, string> TinyFiles => new()
    {
        { "tiny_state_dict.pth", "tiny_state_dict.pth" },
        { "tiny_checkpoint_with_optimizer.pth", "tiny_checkpoint_with_optimizer.pth" },
        { "tiny_fp16.pth", "tiny_fp16.pth" },
        { "tiny_strided.pth", "tiny_strided.pth" },
        // The manifest says the legacy file holds tiny_state_dict.pth's tensors, but its bytes are (bit for bit) the
        // model tensors of tiny_checkpoint_with_optimizer.pth (tiny_state_dict.pth's conv.weight and conv.bias are
        // those plus 1e-4).
        { "tiny_legacy_format.pth", "tiny_checkpoint_with_optimizer.pth" },
    };

    [Theory]
    [MemberData(nameof(TinyFiles))]
    public void TinyFiles_EveryTensorValueMatches(string file, string manifestEntry)
    {
        var sd = TorchCheckpoint.LoadStateDict(File_(file));
        var tensors = Manifest.GetProperty(manifestEntry).GetProperty("tensors");
        int count = 0;
        foreach (var t in tensors.EnumerateObject())
        {
            count++;
            Assert.True(sd.Contains(t.Name), $"{file}: missing {t.Name}");
            var got = sd[t.Name];
            var shape = t.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(shape, got.Shape);
            var values = t.Value.GetProperty("values").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            Assert.Equal(values, got.Data);
        }
        Assert.Equal(count, sd.Count);
    }

    [Fact]
    public void TrainingCheckpoint_ReadsModelAndSkipsOptimizerStorages()
    {
        using var ck = TorchCheckpoint.Open(File_("tiny_checkpoint_with_optimizer.pth"));
        var (where, tensors) = ck.FindStateDict();
        Assert.Equal("'model'", where);
        Assert.Equal(15, tensors.Count);
        var all = ck.AllTensors().ToList();
        Assert.Contains(all, t => t.Path.StartsWith("optimizer.state", StringComparison.Ordinal));
        Assert.True(all.Count > tensors.Count);
    }

    [Theory]
    [InlineData(NetworkKind.Refine, "refinenet_compact.pth")]
    [InlineData(NetworkKind.Score, "scorenet_compact.pth")]
    public void CompactCheckpoints_ReproduceExpectedOutputs(NetworkKind kind, string file)
    {
        using var tmp = new TempDir();
        NetworkExport.Export(kind, File_(file), ModelLayout.Nchw, tmp.File("m.onnx"));
        using var m = new CropPairSession(tmp.File("m.onnx"), new RuntimeSettings { IntraOpThreads = 2 });
        string prefix = kind == NetworkKind.Refine ? "refine" : "score";
        var outs = m.Run(Golden.Load($"{prefix}.A"), Golden.Load($"{prefix}.B"));
        var expected = Manifest.GetProperty(file).GetProperty("expected");
        foreach (var (name, value) in outs)
        {
            var exp = expected.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            Golden.AssertClose(new FloatTensor(value.Shape, exp), value, $"{file}:{name}");
        }
        // The model metadata names the source without its folder, so files stay reproducible across machines.
        var model = OnnxModelFile.Load(tmp.File("m.onnx"));
        Assert.Contains(model.MetadataProps, p => p.Key == "fpquant.weights" && p.Value == $"checkpoint:{file}");
    }

    [Theory]
    [InlineData("truncated.pth", "truncated")]
    [InlineData("not_a_checkpoint.pth", "not a PyTorch checkpoint")]
    public void BadFiles_AreRefusedNamingTheFile(string file, string why)
    {
        var e = Assert.Throws<FpQuantException>(() => TorchCheckpoint.LoadStateDict(File_(file)));
        Assert.Contains(file, e.Message);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void MissingFile_IsRefused()
    {
        var e = Assert.Throws<FpQuantException>(() => TorchCheckpoint.LoadStateDict("/nonexistent/model_best.pth"));
        Assert.Contains("/nonexistent/model_best.pth", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void ForbiddenGlobal_IsRefusedByName_AndNothingRuns()
    {
        using var tmp = new TempDir();
        // A pickle that would call os.system in Python.
        var evil = new List<KeyValuePair<string, object?>> { new("model",
            new object?[] { new PickleGlobal("os", "system"), "echo pwned" }) };
        TorchCheckpointWriter.Write(tmp.File("evil.pth"), evil);
        var e = Assert.Throws<FpQuantException>(() => TorchCheckpoint.LoadStateDict(tmp.File("evil.pth")));
        Assert.Contains("'os.system'", e.Message);
        Assert.Contains("evil.pth", e.Message);
    }

    [Fact]
    public void WriterRoundTrip_WithOptimizerState()
    {
        using var tmp = new TempDir();
        var sd = SyntheticWeights.Generate(NetworkKind.Score, 3);
        TorchCheckpointWriter.WriteTrainingCheckpoint(tmp.File("model_best.pth"), sd, withAdamState: true);
        var back = WeightSource.Load(NetworkKind.Score, tmp.File("model_best.pth"));
        Assert.Equal(sd.Keys, back.Keys);
        foreach (var k in sd.Keys) Assert.Equal(sd[k].Data, back[k].Data);
    }

    [Fact]
    public void Mapping_ListsMissingUnexpectedAndMisShapedKeysInOneError()
    {
        var full = SyntheticWeights.Generate(NetworkKind.Refine, 0);
        var sd = new StateDict();
        foreach (var k in full.Keys)
        {
            if (k == "rot_head.1.bias") continue; // missing
            sd.Add(k, k == "trans_head.1.weight" ? new FloatTensor(4, 512) : full[k]); // mis-shaped
        }
        sd.Add("extra.weight", new FloatTensor(3)); // unexpected
        using var tmp = new TempDir();
        TorchCheckpointWriter.WriteTrainingCheckpoint(tmp.File("bad.pth"), sd, withAdamState: false);
        var e = Assert.Throws<FpQuantException>(() => WeightSource.Load(NetworkKind.Refine, tmp.File("bad.pth")));
        Assert.Contains("bad.pth", e.Message);
        Assert.Contains("missing 1 key(s): rot_head.1.bias", e.Message);
        Assert.Contains("unexpected 1 key(s): extra.weight", e.Message);
        Assert.Contains("trans_head.1.weight (expected [3x512], got [4x512])", e.Message);
    }

    [Fact]
    public void ScoreCheckpoint_IsNotARefineNet()
    {
        var e =
            Assert.Throws<FpQuantException>(() => WeightSource.Load(NetworkKind.Refine, File_("scorenet_compact.pth")));
        Assert.Contains("RefineNet", e.Message);
        Assert.Contains("missing", e.Message);
    }
}
