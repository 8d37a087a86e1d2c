using FpQuant.Core;
using FpQuant.Networks;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Handlers;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>
/// Defects the architecture review found in the quantizer, each pinned by a test that fails on the old code.
/// </summary>
[Trait("Category", "Quick")]
public class QuantizerDefectTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    [Fact]
    public void PresetLists_CannotBeChangedThroughACopy()
    {
        var preset = FoundationPosePresets.Get("torch-static");
        var copy = preset with { ReduceRange = true };
        Assert.Throws<NotSupportedException>(() => ((IList<string>)copy.Exclude).Add("everything"));
        Assert.Throws<NotSupportedException>(() => ((IList<string>)copy.OpTypes!).Clear());
        Assert.Equal(FoundationPosePresets.AttentionModules, FoundationPosePresets.Get("torch-static").Exclude);
        // Lists given by the caller are copied: changing the caller's list later changes nothing.
        var mine = new List<string> { "a" };
        var o = new QuantizationOptions { Include = mine };
        mine.Add("b");
        Assert.Equal(new[] { "a" }, o.Include);
    }

    [Fact]
    public void PublicStaticLists_AreReadOnly()
    {
        foreach (var list in new[] { FoundationPosePresets.TorchLinearModules, FoundationPosePresets.AttentionModules,
            OpQuantizers.Supported,
                     QuantizationOptions.DefaultOpTypes(QuantMode.Dynamic),
                     QuantizationOptions.DefaultOpTypes(QuantMode.WeightOnly) })
            Assert.Throws<NotSupportedException>(() => ((IList<string>)list)[0] = "x");
    }

    [Fact]
    public void DefaultOpLists_AreTheHandlerRegistries()
    {
        Assert.Equal(OpQuantizers.Supported.ToHashSet(),
            new QuantizationOptions { Mode = QuantMode.Static }.EffectiveOpTypes);
        Assert.Equal(new HashSet<string> { "Conv", "MatMul", "Gemm" },
            new QuantizationOptions { Mode = QuantMode.Dynamic }.EffectiveOpTypes);
        Assert.Equal(OpTraits.WeightedComputeOps.Append("Gather").ToHashSet(),
            new QuantizationOptions { Mode = QuantMode.WeightOnly }.EffectiveOpTypes);
    }

    [Fact]
    public void IncludeMatchingNoNode_IsAnError_AndUnmatchedExcludeANote()
    {
        var model = TinyModels.MatMulWeight();
        var e = Assert.Throws<FpQuantException>(() => ModelQuantizer.Quantize(model, "tiny.onnx",
            new QuantizationOptions { Mode = QuantMode.Dynamic, Include = ["encoder*"] }, null, null, Cpu));
        Assert.Contains("'encoder*' matches no node of tiny.onnx", e.Message);
        var r = ModelQuantizer.Quantize(model, "tiny.onnx",
            new QuantizationOptions { Mode = QuantMode.Dynamic, Exclude = ["att*", "fc"] }, null, null, Cpu);
        Assert.Equal("Exclude 'att*' matches no node of tiny.onnx", r.Warnings[0]);
        // Nothing left to quantize: said in one note, and the model comes back as given.
        Assert.StartsWith("nothing was quantized: no node of tiny.onnx qualifies", Assert.Single(r.Warnings.Skip(1)));
        Assert.Empty(r.QuantizedNodes);
        Assert.Equal(model, r.Model);
    }

    [Fact]
    public void Fp16_CountsOnlyTheNodesItConverted()
    {
        // Conv -> Relu -> Identity; Relu kept float32 by the block list; the Casts it needs are not conversions.
        var r = ModelQuantizer.Quantize(TinyModels.Conv(relu: true), "conv",
            new QuantizationOptions { Mode = QuantMode.Fp16, Fp16BlockOps = ["Relu"] }, null, null, Cpu);
        Assert.Equal(new[] { "conv", "out" }, r.QuantizedNodes);
        Assert.Contains(r.Model.Graph.Node, n => n.OpType == "Cast");
    }

    [Fact]
    public void Fp16_ConstantNodes_AgreeInTypeWithWhatTheyMeet()
    {
        // X + Constant(0.5) (a float32 Constant node, as PyTorch exports LayerNorm's epsilon): ONNX Runtime refused
        // the fp16 model ("bound to different types") when the Constant stayed float32.
        var g = new GraphBuilder("const");
        string x = g.Input("X", DataType.Float, "N", 4);
        var c = new NodeProto { OpType = "Constant", Name = "half" };
        c.Output.Add("c");
        c.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor,
            T = TensorProtos.FromFloats("", new[] { 0.5f }) });
        g.Graph.Node.Add(c);
        g.NodeMulti("Add", "add", new[] { x, "c" }, new[] { "Y" });
        g.Output("Y", DataType.Float, "N", 4);
        var fp16 = Fp16Converter.Quantize(g.Build(), new QuantizationOptions { Mode = QuantMode.Fp16 }).Model;
        using var s =
            new Microsoft.ML.OnnxRuntime.InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(fp16));
        var y = SessionRun.Run(s,
            new Dictionary<string, FloatTensor> { ["X"] = new(new[] { 1, 4 }, new[] { 1f, 2f, 3f, 4f }) },
            new[] { "Y" })[0].Value;
        Assert.Equal(new[] { 1.5f, 2.5f, 3.5f, 4.5f }, y.Data);
    }

    [Fact]
    public void Fp16_KeepsIntegerConstantsInteger_AndHalvesOnlyTheFloatOnes()
    {
        // Reshape(X + Constant(0.5), Constant(int64 [4, 2])): the shape must stay int64 (Reshape takes nothing else),
        // the float Constant becomes float16. Sent straight to the converter, which other paths than quantize (whose
        // constant folding would take the Constants away first) reach.
        var g = new GraphBuilder("consts");
        string x = g.Input("X", DataType.Float, 2, 4);
        foreach (var (name, output, value) in new[]
        {
            ("half", "c", TensorProtos.FromFloats("", new[] { 0.5f })),
            ("shape_const", "shape", TensorProtos.FromInt64("", new long[] { 4, 2 }, 2)),
        })
        {
            var n = new NodeProto { OpType = "Constant", Name = name };
            n.Output.Add(output);
            n.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor,
                T = value });
            g.Graph.Node.Add(n);
        }
        string sum = g.Node("Add", "add", new[] { x, "c" });
        g.NodeMulti("Reshape", "reshape", new[] { sum, "shape" }, new[] { "Y" });
        g.Output("Y", DataType.Float, 4, 2);
        var fp16 = Fp16Converter.Quantize(g.Build(), new QuantizationOptions { Mode = QuantMode.Fp16 }).Model;

        TensorProto ValueOf(string node) =>
            fp16.Graph.Node.Single(n => n.Name == node).Attribute.Single(a => a.Name == "value").T;
        Assert.Equal(DataType.Int64, (DataType)ValueOf("shape_const").DataType);
        Assert.Equal(new long[] { 4, 2 }, TensorProtos.ToInt64(ValueOf("shape_const")));
        Assert.Equal(DataType.Float16, (DataType)ValueOf("half").DataType);
        Assert.Equal(new[] { 0.5f }, TensorProtos.ToFloats(ValueOf("half")));
        using var s =
            new Microsoft.ML.OnnxRuntime.InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(fp16));
        var y = SessionRun.Run(s,
            new Dictionary<string,
                FloatTensor> { ["X"] = new(new[] { 2, 4 }, new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f }) },
                    new[] { "Y" })[0].Value;
        Assert.Equal(new[] { 4, 2 }, y.Shape);
        Assert.Equal(new[] { 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f, 8.5f }, y.Data);
    }

    [Fact]
    public void CalibrationCopyRuntimeRefuses_IsOneReadableError()
    {
        // An op no runtime knows: the float model itself does not load, and that is said first, before any
        // calibration copy is made.
        var g = new GraphBuilder("custom");
        string x = g.Input("X", DataType.Float, "N", 16);
        string w = g.Initializer("fc.weight", TinyModels.Random(3, 0.3f, 16, 8));
        string y = g.Node("MatMul", "fc", new[] { x, w });
        var n = new NodeProto { OpType = "NoSuchOp", Name = "custom", Domain = "com.example" };
        n.Input.Add(y); n.Output.Add("Y");
        g.Graph.Node.Add(n);
        g.Output("Y", DataType.Float, "N", 8);
        var m = g.Build();
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.example", Version = 1 });
        var calib = new InMemoryInputSource(new[] { new Dictionary<string,
            FloatTensor> { ["X"] = TinyModels.Random(4, 1f, 2, 16) } });
        var e = Assert.Throws<FpQuantException>(() =>
            ModelQuantizer.Quantize(m, "custom.onnx", new QuantizationOptions(), null, calib, Cpu));
        Assert.Contains("ONNX Runtime cannot load the float model 'custom.onnx' itself", e.Message);
        Assert.Contains("NoSuchOp", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Calibration_TakesInt64Inputs_AndFeedsAFixedBatchOneSampleAtATime()
    {
        // Embedding lookup (int64 ids) then a weight MatMul; the model's batch axis is fixed at 1.
        var g = new GraphBuilder("ids");
        string ids = g.Input("ids", DataType.Int64, 1, 5);
        string table = g.Initializer("table", TinyModels.Random(7, 1f, 10, 6));
        string e = g.Node("Gather", "embed", new[] { table, ids });
        string w = g.Initializer("fc.weight", TinyModels.Random(8, 0.3f, 6, 4));
        g.NodeMulti("MatMul", "fc", new[] { e, w }, new[] { "Y" });
        g.Output("Y", DataType.Float, 1, 5, 4);
        var batch = new Dictionary<string,
            InputTensor> { ["ids"] =
                new InputTensor(new[] { 3, 5 }, new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9 }) };
        var r = ModelQuantizer.Quantize(g.Build(), "ids", new QuantizationOptions(), null,
            new InMemoryInputSource(new[] { batch }), Cpu);
        Assert.Contains("fc", r.QuantizedNodes);
        // The embedding output's range covers all three samples: every table row was looked up.
        var range = r.Ranges.Values.Single();
        var all = TinyModels.Random(7, 1f, 10, 6).Data;
        Assert.Equal(all.Min(), range.Min);
        Assert.Equal(all.Max(), range.Max);
    }
}
