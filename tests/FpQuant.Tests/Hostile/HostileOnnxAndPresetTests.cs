using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Tests.Support;
using Onnx;

namespace FpQuant.Tests.Hostile;

/// <summary>Known crash signatures of ONNX and preset files: every consumer gets one FpQuantException at
/// load.</summary>
[Trait("Category", "Quick")]
public sealed class HostileOnnxAndPresetTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    private string Save(string name, ModelProto m)
    {
        string p = _tmp.File(name);
        File.WriteAllBytes(p, OnnxModelFile.Serialize(m));
        return p;
    }

    private static void AssertRefusedAtLoad(string path, string expect)
    {
        foreach (Action a in new Action[] { () => OnnxModelFile.Load(path), () => ModelInspector.Inspect(path) })
        {
            var e = Assert.Throws<FpQuantException>(a);
            Assert.Contains(Path.GetFileName(path), e.Message);
            Assert.Contains(expect, e.Message);
        }
    }

    [Fact]
    public void ValidTinyModels_Load()
    {
        foreach (var m in new[] { TinyModels.Conv(true), TinyModels.MatMulWeight(), TinyModels.Gemm(),
            TinyModels.AddThenLayerNorm() })
            Assert.NotNull(ModelInspector.Inspect(Save("ok.onnx", m)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ai.onnx")]
    public void DuplicatedOpsetDomain_IsRefusedAtLoad(string domain)
    {
        var m = TinyModels.Conv(true);
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = 13 });
        AssertRefusedAtLoad(Save("dup-opset.onnx", m), "imported twice");
    }

    [Fact]
    public void RenamedInitializer_IsRefusedAtLoad_SoNoQuantizerMeetsIt()
    {
        var m = TinyModels.MatMulWeight();
        m.Graph.Initializer[0].Name = "fc.weight.renamed";
        string path = Save("renamed.onnx", m);
        // The quantizers get their ModelProto from OnnxModelFile.Load (HostileCliTests runs 'quantize' on this file).
        AssertRefusedAtLoad(path, "'fc.weight'");
    }

    [Fact]
    public void OtherBrokenGraphs_AreRefusedAtLoad()
    {
        var dupInit = TinyModels.Conv(false);
        dupInit.Graph.Initializer.Add(dupInit.Graph.Initializer[0].Clone());
        AssertRefusedAtLoad(Save("dup-init.onnx", dupInit), "defined twice");
        var dupNode = TinyModels.Conv(false);
        dupNode.Graph.Node.Add(dupNode.Graph.Node[0].Clone());
        AssertRefusedAtLoad(Save("dup-node.onnx", dupNode), "already defined");
        var shortData = TinyModels.Conv(false);
        shortData.Graph.Initializer[0].RawData = Google.Protobuf.ByteString.CopyFrom(new byte[8]);
        AssertRefusedAtLoad(Save("short.onnx", shortData), "holds 8 bytes");
        var negDim = TinyModels.Conv(false);
        negDim.Graph.Initializer[0].Dims[0] = -1;
        AssertRefusedAtLoad(Save("neg.onnx", negDim), "dimension -1");
        var badType = TinyModels.Conv(false);
        badType.Graph.Initializer[0].DataType = 99;
        AssertRefusedAtLoad(Save("type.onnx", badType), "element type 99");
        var noOutput = TinyModels.Conv(false);
        noOutput.Graph.Output[0].Name = "nothing";
        AssertRefusedAtLoad(Save("out.onnx", noOutput), "'nothing'");
        var noInputs = TinyModels.Conv(false);
        noInputs.Graph.Node.Add(new NodeProto { OpType = "DequantizeLinear", Name = "dq" });
        // a node without inputs is the runtime's to judge, not a crash here
        Assert.NotNull(ModelInspector.Inspect(Save("dq.onnx", noInputs)));
    }

    private string Preset(string name, string json)
    {
        string p = _tmp.File(name);
        File.WriteAllText(p, json);
        return p;
    }

    [Theory]
    [InlineData("[]", "an array")]
    [InlineData("[{\"mode\": \"static\"}]", "an array")]
    [InlineData("42", "a number")]
    [InlineData("\"onnx-static\"", "a string")]
    [InlineData("null", "null")]
    [InlineData("{\"options\": [1]}", "\"options\" is an array")]
    [InlineData("{\"options\": null}", "\"options\" is null")]
    public void PresetRootsThatAreNotObjects_AreRefused(string json, string expect)
    {
        var e = Assert.Throws<FpQuantException>(() => QuantizationPresets.LoadFile(Preset("root.json", json)));
        Assert.Contains("root.json", e.Message);
        Assert.Contains(expect, e.Message);
    }

    [Theory]
    [InlineData("{\"exclude\": null}", "\"exclude\" is null")]
    [InlineData("{\"include\": null}", "\"include\" is null")]
    [InlineData("{\"fp16BlockOps\": null}", "\"fp16BlockOps\" is null")]
    [InlineData("{\"opTypes\": [null]}", "\"opTypes\" holds a null")]
    [InlineData("{\"exclude\": [\"a\", null]}", "\"exclude\" holds a null")]
    [InlineData("{\"mode\": 7}", "names none")]
    [InlineData("{\"percentile\": -1}", "Percentile must be in (0, 100], got -1")]
    public void PresetNullListsAndBadValues_AreRefused(string json, string expect)
    {
        var e = Assert.Throws<FpQuantException>(() => QuantizationPresets.LoadFile(Preset("nulls.json", json)));
        Assert.Contains("nulls.json", e.Message);
        Assert.Contains(expect, e.Message);
    }

    [Fact]
    public void PresetOpTypesNull_MeansTheModesDefault()
    {
        var o = QuantizationPresets.LoadFile(Preset("default.json",
            "{\"options\": {\"mode\": \"dynamic\", \"opTypes\": null}}"));
        Assert.Equal(QuantizationOptions.DefaultOpTypes(QuantMode.Dynamic).ToHashSet(), o.EffectiveOpTypes.ToHashSet());
    }

    /// <summary>Preset files spell the weight-only mode as the CLI does ("weights-only"), for the whole-model mode and
    /// for a mixed rule, and a saved preset reads back the same.</summary>
    [Fact]
    public void PresetFile_SpellsWeightOnlyAsTheCliDoes()
    {
        var o = QuantizationPresets.LoadFile(Preset("wo.json",
            "{\"options\": {\"mode\": \"weights-only\", \"modes\": [{\"opTypes\": [\"MatMul\"], \"mode\": " +
            "\"weights-only\"}]}}"));
        Assert.Equal(QuantMode.WeightOnly, o.Mode);
        Assert.Equal(FpQuant.Quantization.Mixed.NodeMode.WeightOnly, Assert.Single(o.Modes).Mode);
        string saved = _tmp.File("saved.json");
        QuantizationPresets.SaveFile(saved, o, "wo");
        Assert.Contains("\"weights-only\"", File.ReadAllText(saved));
        Assert.Equal(QuantMode.WeightOnly, QuantizationPresets.LoadFile(saved).Mode);
    }

    [Fact]
    public void PresetJsonErrorSpanningLines_IsOneLine()
    {
        var e = Assert.Throws<FpQuantException>(() => QuantizationPresets.LoadFile(Preset("lines.json",
            "{\n  \"mode\": \"static\",\n  \"exclude\": [\"a\n b\"\n  ,,\n}\n")));
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
        Assert.Contains("lines.json", e.Message);
    }
}
