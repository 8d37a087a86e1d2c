using System.Text.Json;
using FpQuant.Core;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Mixed;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Onnx;

namespace FpQuant.Tests.Quantization;

/// <summary>Mixed modes in one model: every node gets its own mode from rules by op type, role or glob; the model
/// runs in ONNX Runtime and stays close to float; the sidecar says what each node became.</summary>
[Trait("Category", "Quick")]
public class MixedModeTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    private static double Sqnr(ModelProto reference, ModelProto test, Dictionary<string, FloatTensor> batch,
        TempDir tmp)
    {
        var a = TinyModels.Run(reference, batch, tmp.Path, "float")[0].Value;
        var b = TinyModels.Run(test, batch, tmp.Path, "test")[0].Value;
        return QuantMath.Sqnr(a.Data, b.Data);
    }

    [Fact]
    public void Roles_FindTheNormResidualAttentionAndWeights()
    {
        var roles = NodeRoles.Of(TinyEncoder.Build().Graph);
        foreach (var n in new[] { "ln/mean", "ln/sub", "ln/pow", "ln/var", "ln/eps", "ln/sqrt", "ln/div", "ln/gamma",
            "ln/beta" })
            Assert.Equal(NodeRoles.Norm, roles[n]);
        Assert.Equal(NodeRoles.Residual, roles["residual"]);
        Assert.Equal(NodeRoles.ActivationMatMul, roles["attn/qk"]);
        Assert.Equal(NodeRoles.ActivationMatMul, roles["attn/pv"]);
        foreach (var n in new[] { "attn/q", "attn/k", "attn/v", "attn/out", "ffn/fc1", "ffn/fc2" })
            Assert.Equal(NodeRoles.Weighted, roles[n]);
        Assert.Equal(NodeRoles.Softmax, roles["attn/softmax"]);
        Assert.Equal(NodeRoles.DataMovement, roles["attn/kt"]);
        Assert.Equal(NodeRoles.Elementwise, roles["ffn/act"]);
    }

    public static QuantizationOptions EveryMode => new()
    {
        ReduceRange = false,
        Modes =
        [
            new ModeRule { Mode = NodeMode.Static, Nodes = ["attn/*"],
                Roles = [NodeRoles.Weighted, NodeRoles.ActivationMatMul, NodeRoles.Softmax, NodeRoles.DataMovement] },
            new ModeRule { Mode = NodeMode.Dynamic, OpTypes = ["MatMul"], Nodes = ["ffn/fc1"], PerChannel = true },
            new ModeRule { Mode = NodeMode.WeightOnly, Nodes = ["ffn/fc2"] },
            new ModeRule { Mode = NodeMode.Fp16, Roles = [NodeRoles.Elementwise] },
            new ModeRule { Mode = NodeMode.Float, Roles = [NodeRoles.Residual, NodeRoles.Norm] },
        ],
    };

    [Fact]
    public void EveryModeInOneModel_RunsCloseToFloat_AndTheSidecarRecordsEachNode()
    {
        using var tmp = new TempDir();
        var m = TinyEncoder.Build();
        var r = ModelQuantizer.Quantize(m, "tiny", EveryMode, "mixed-test",
            new InMemoryInputSource(new[] { TinyEncoder.Batch(1) }), Cpu);
        var modes = r.NodeModes!;
        foreach (var n in new[] { "attn/q", "attn/k", "attn/v", "attn/qk", "attn/pv", "attn/out", "attn/softmax" })
            Assert.Equal(NodeMode.Static, modes[n]);
        Assert.Equal(NodeMode.Dynamic, modes["ffn/fc1"]);
        Assert.Equal(NodeMode.WeightOnly, modes["ffn/fc2"]);
        Assert.Equal(NodeMode.Fp16, modes["ffn/act"]);
        // attn/scale is element-wise but its name matches the static rule first, whose roles exclude it: it falls to
        // the fp16 rule. The norm and the residual stay float.
        Assert.Equal(NodeMode.Fp16, modes["attn/scale"]);
        foreach (var n in new[] { "ln/mean", "ln/div", "ln/gamma", "ln/beta", "residual" })
            Assert.Equal(NodeMode.Float, modes[n]);
        var ops = r.Model.Graph.Node.Select(n => n.OpType).ToList();
        Assert.Contains("QuantizeLinear", ops);
        Assert.Contains("MatMulInteger", ops);
        Assert.Contains("DynamicQuantizeLinear", ops);
        Assert.Contains(r.Model.Graph.Node,
            n => n.OpType == "Cast"
                && n.Attribute.Any(a => a.Name == "to" && a.I == (long)TensorProto.Types.DataType.Float16));
        // The weights-only node reads its weight through a DequantizeLinear; the float norm reads float gamma.
        Assert.Contains(r.Model.Graph.Node,
            n => n.OpType == "DequantizeLinear"
                && n.Input[0].StartsWith("ffn.fc2.weight/quantized", StringComparison.Ordinal));
        Assert.Contains(r.Model.Graph.Initializer,
            i => i.Name == "ln.weight" && i.DataType == (int)TensorProto.Types.DataType.Float);
        double sqnr = Sqnr(m, r.Model, TinyEncoder.Batch(2), tmp);
        Assert.True(sqnr > 25, $"mixed model SQNR {sqnr:F1} dB");

        string path = tmp.File("mixed.onnx");
        ModelQuantizer.Save(r, path, "tiny.onnx");
        using var doc = JsonDocument.Parse(File.ReadAllText(ModelQuantizer.SidecarPath(path)));
        var recorded = doc.RootElement.GetProperty("nodeModes");
        Assert.Equal("static", recorded.GetProperty("attn/qk").GetString());
        Assert.Equal("dynamic", recorded.GetProperty("ffn/fc1").GetString());
        Assert.Equal("weights-only", recorded.GetProperty("ffn/fc2").GetString());
        Assert.Equal("fp16", recorded.GetProperty("ffn/act").GetString());
        Assert.Equal("float", recorded.GetProperty("residual").GetString());
        Assert.Equal(m.Graph.Node.Count, recorded.EnumerateObject().Count());
        Assert.Equal("dynamic",
            doc.RootElement.GetProperty("options").GetProperty("modes")[1].GetProperty("mode").GetString());
    }

    [Fact]
    public void SameRecipe_SameBytes()
    {
        var m = TinyEncoder.Build();
        var calib = new InMemoryInputSource(new[] { TinyEncoder.Batch(1) });
        var a = ModelQuantizer.Quantize(m, "tiny", EveryMode, null, calib, Cpu);
        var b = ModelQuantizer.Quantize(m, "tiny", EveryMode, null, calib, Cpu);
        Assert.Equal(FpQuant.Onnx.OnnxModelFile.Serialize(a.Model), FpQuant.Onnx.OnnxModelFile.Serialize(b.Model));
    }

    [Fact]
    public void EveryNodeFloat_IsTheFloatModel()
    {
        using var tmp = new TempDir();
        var m = TinyEncoder.Build();
        var o = new QuantizationOptions { Modes = [new ModeRule { Mode = NodeMode.Float }] };
        var r = ModelQuantizer.Quantize(m, "tiny", o, null, null, Cpu);
        Assert.Empty(r.QuantizedNodes);
        Assert.True(Sqnr(m, r.Model, TinyEncoder.Batch(3), tmp) > 100);
    }

    [Fact]
    public void PresetFile_WithModes_RoundTrips_AndABadRoleIsOneLine()
    {
        using var tmp = new TempDir();
        string good = tmp.File("hybrid.json");
        File.WriteAllText(good, """
            {"options": {"perChannel": true, "modes": [
              {"mode": "static", "opTypes": ["Conv"]},
              {"mode": "dynamic", "roles": ["weighted"], "opTypes": ["MatMul", "Gemm"]},
              {"mode": "float", "roles": ["residual", "norm"]}]}}
            """);
        var o = PresetFile.Load(good);
        Assert.Equal(3, o.Modes.Count);
        Assert.Equal(NodeMode.Dynamic, o.Modes[1].Mode);
        Assert.Equal(new[] { "weighted" }, o.Modes[1].Roles);
        string bad = tmp.File("bad.json");
        File.WriteAllText(bad, """{"modes": [{"mode": "dynamic", "roles": ["attention-heads"]}]}""");
        var e = Assert.Throws<FpQuantException>(() => PresetFile.Load(bad));
        Assert.Contains("bad.json", e.Message);
        Assert.Contains("attention-heads", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        File.WriteAllText(bad, """{"modes": [{"mode": "int4"}]}""");
        Assert.Throws<FpQuantException>(() => PresetFile.Load(bad));
    }
}
