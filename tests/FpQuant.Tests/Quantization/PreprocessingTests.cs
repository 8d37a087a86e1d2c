using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Quantization.Preprocessing;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>
/// Pre-processing of old and unoptimised models: each rewrite must leave what ONNX Runtime computes unchanged.
/// </summary>
[Trait("Category", "Quick")]
public class PreprocessingTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    /// <summary>An opset-8 graph with every op whose signature changed before 13 that real exports carry: Unsqueeze
    /// and Squeeze with axes attributes, Split with a split attribute, ReduceSum with axes, Softmax's 2-D coercion
    /// on a rank-3 input, Dropout, Upsample, BatchNormalization (with spatial) after a Conv, and Constant
    /// nodes.</summary>
    private static ModelProto Opset8Model()
    {
        var g = new GraphBuilder("opset8");
        string x = g.Input("X", DataType.Float, 2, 3, 4, 4);
        string w = g.Initializer("conv.weight", TinyModels.Random(11, 0.5f, 4, 3, 3, 3));
        string c = g.Node("Conv", "conv", new[] { x, w }, ("kernel_shape", new long[] { 3, 3 }),
            ("pads", new long[] { 1, 1, 1, 1 }));
        string bn = g.Node("BatchNormalization", "bn", new[] { c,
            g.Initializer("bn.scale", TinyModels.Random(12, 1f, 4)),
            g.Initializer("bn.bias", TinyModels.Random(13, 0.5f, 4)),
            g.Initializer("bn.mean", TinyModels.Random(14, 0.3f, 4)),
            g.Initializer("bn.var", new FloatTensor(new[] { 4 }, new[] { 0.5f, 1.5f, 2f, 0.8f })) },
            ("epsilon", 1e-5f), ("spatial", 1L));
        string r = g.Node("Relu", "relu", new[] { bn });
        string d = g.Node("Dropout", "dropout", new[] { r }, ("ratio", 0.5f));
        string up = g.Node("Upsample", "upsample", new[] { d }, ("mode", "nearest"));
        g.Graph.Node.Last()
            .Attribute.Add(new AttributeProto { Name = "scales", Type = AttributeProto.Types.AttributeType.Floats,
                Floats = { 1f, 1f, 2f, 2f } });
        var parts = g.NodeMulti("Split", "split", new[] { up }, new[] { "part0", "part1" }, ("axis", 1L),
            ("split", new long[] { 1, 3 }));
        string sum = g.Node("ReduceSum", "reduce", new[] { parts[1] }, ("axes", new long[] { 1 }), ("keepdims", 1L));
        string sq = g.Node("Squeeze", "squeeze", new[] { sum }, ("axes", new long[] { 1 }));
        // The target shape from a Constant node, as old exporters wrote it.
        var constNode = new NodeProto { OpType = "Constant", Name = "shape_const" };
        constNode.Output.Add("shape");
        constNode.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor,
            T = TensorProtos.FromInt64("", new long[] { 2, 8, 8 }, 3) });
        g.Graph.Node.Add(constNode);
        string flat = g.Node("Reshape", "reshape", new[] { sq, "shape" });
        g.NodeMulti("Softmax", "softmax", new[] { flat }, new[] { "Y" }, ("axis", 1L));
        string un = g.Node("Unsqueeze", "unsqueeze", new[] { parts[0] }, ("axes", new long[] { 0 }));
        g.NodeMulti("Identity", "out2", new[] { un }, new[] { "Z" });
        g.Output("Y", DataType.Float, 2, 8, 8);
        g.Output("Z", DataType.Float, 1, 2, 1, 8, 8);
        var m = g.Build(opset: 8);
        m.IrVersion = 4;
        return m;
    }

    private static List<(string Name, FloatTensor Value)> Run(ModelProto m, FloatTensor x)
    {
        using var s = new InferenceSession(m.ToByteArray());
        return SessionRun.Run(s, new Dictionary<string, FloatTensor> { ["X"] = x }, s.OutputMetadata.Keys.ToArray());
    }

    [Fact]
    public void Opset8Model_IsRaisedTo13_AndComputesWhatItComputedBefore()
    {
        var model = Opset8Model();
        var prepared = ModelPreprocessor.Prepare(model, "opset8", Cpu);
        Assert.Equal(13, prepared.Model.OpsetImport.Single(o => o.Domain == "").Version);
        var ops = prepared.Model.Graph.Node.Select(n => n.OpType).ToList();
        Assert.DoesNotContain("BatchNormalization", ops);
        Assert.DoesNotContain("Dropout", ops);
        Assert.DoesNotContain("Upsample", ops);
        Assert.DoesNotContain("Constant", ops);
        Assert.Contains("Resize", ops);
        Assert.Contains(prepared.Notes, n => n.Contains("opset from 8 to 13"));
        Assert.Contains(prepared.Notes, n => n.Contains("BatchNormalization"));
        var x = TinyModels.Random(15, 2f, 2, 3, 4, 4);
        var before = Run(model, x);
        var after = Run(prepared.Model, x);
        // The rewrites are exact but for float32 rounding of the folded Conv weights and bias (2^-24 relative each,
        // 1.5e-8 seen); 1e-6 leaves room for that and is under the 2.3e-6 that folding without BatchNormalization's
        // epsilon (1e-5 against variances of 0.5-2) gives here, which the former 1e-5 let through.
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(before[i].Value.Shape, after[i].Value.Shape);
            for (int k = 0; k < before[i].Value.Data.Length; k++)
                Assert.True(Math.Abs(before[i].Value.Data[k] - after[i]
                    .Value.Data[k]) <= 1e-6f * (1 + Math.Abs(before[i].Value.Data[k])),
                    $"{before[i].Name}[{k}]: {before[i].Value.Data[k]} vs {after[i].Value.Data[k]}");
        }
    }

    [Fact]
    public void BatchNormFolding_DividesBySqrtOfVariancePlusEpsilon()
    {
        // Variances of the order of epsilon (1e-3), as channels that barely vary have after training: leaving eps
        // out would scale those channels by sqrt((var + eps) / var) = 1.05 to 3.3, where float32 folding is
        // exact to a few units in the last place (2^-24 relative each): 1e-6 relative is ample.
        const float eps = 1e-3f;
        var w = new float[] { 1f, 0.5f, -2f, 1f, 0.25f, -0.75f }; // 3 output channels x 2 input channels, 1x1
        var bias = new float[] { 0.1f, -0.2f, 0.3f };
        var scale = new float[] { 1.5f, 0.8f, -1.1f };
        var shift = new float[] { 0.2f, -0.1f, 0.05f };
        var mean = new float[] { 0.05f, -0.3f, 0.2f };
        var variance = new float[] { 1e-4f, 1e-3f, 2e-2f };
        var g = new GraphBuilder("conv_bn");
        string x = g.Input("X", DataType.Float, 1, 2, 2, 2);
        string c = g.Node("Conv", "conv",
            new[] { x, g.Initializer(TensorProtos.FromFloats("conv.weight", w, 3, 2, 1, 1)),
                g.Initializer(TensorProtos.FromFloats("conv.bias", bias, 3)) },
            ("kernel_shape", new long[] { 1, 1 }));
        g.NodeMulti("BatchNormalization", "bn", new[] { c,
            g.Initializer(TensorProtos.FromFloats("bn.scale", scale, 3)),
            g.Initializer(TensorProtos.FromFloats("bn.bias", shift, 3)),
            g.Initializer(TensorProtos.FromFloats("bn.mean", mean, 3)),
            g.Initializer(TensorProtos.FromFloats("bn.var", variance, 3)) }, new[] { "Y" }, ("epsilon", eps));
        g.Output("Y", DataType.Float, 1, 3, 2, 2);
        var model = g.Build();
        var notes = new List<string>();
        var folded = BatchNormFolding.Fold(model, notes);
        Assert.DoesNotContain(folded.Graph.Node, n => n.OpType == "BatchNormalization");

        var input = new FloatTensor(new[] { 1, 2, 2, 2 }, new[] { 0.3f, -1.2f, 2f, 0.7f, -0.4f, 1.1f, 0.9f, -2.5f });
        var y = Run(folded, input).Single().Value.Data;
        var unfolded = Run(model, input).Single().Value.Data;
        for (int o = 0; o < 3; o++)
            for (int p = 0; p < 4; p++)
            {
                // ONNX's BatchNormalization, worked in double: scale * (conv - mean) / sqrt(var + eps) + bias.
                double conv = w[2 * o] * input.Data[p] + w[2 * o + 1] * input.Data[4 + p] + bias[o];
                double want = scale[o] * (conv - mean[o]) / Math.Sqrt((double)variance[o] + eps) + shift[o];
                float got = y[4 * o + p];
                Assert.True(Math.Abs(got - want) <= 1e-6 * (1 + Math.Abs(want)),
                    $"channel {o} pixel {p}: folded {got}, BatchNormalization's formula {want}");
                Assert.True(Math.Abs(got - unfolded[4 * o + p]) <= 1e-6 * (1 + Math.Abs(want)),
                    $"channel {o} pixel {p}: folded {got}, ONNX Runtime unfolded {unfolded[4 * o + p]}");
            }
    }

    [Fact]
    public void Opset8Model_TakesPerChannelStaticQuantization()
    {
        var model = Opset8Model();
        var calib = new InMemoryInputSource(new[] { new Dictionary<string,
            FloatTensor> { ["X"] = TinyModels.Random(16, 2f, 2, 3, 4, 4) } });
        var r =
            ModelQuantizer.Quantize(model, "opset8", QuantizationPresets.Get("onnx-static"), "onnx-static", calib, Cpu);
        Assert.Contains(r.Model.Graph.Node,
            n => n.OpType == "DequantizeLinear" && n.Attribute.Any(a => a.Name == "axis"));
        Assert.Contains("conv", r.QuantizedNodes);
        using var s = new InferenceSession(r.Model.ToByteArray());
        Assert.Equal(2, s.OutputMetadata.Count);
    }

    /// <summary>A Scan-8 running sum over the rows of X (batch axis first), from a zero state.</summary>
    private static ModelProto Scan8(int batch)
    {
        var g = new GraphBuilder("old");
        string x = g.Input("X", DataType.Float, batch, 2, 3);
        var body = new GraphBuilder("body");
        body.Input("s", DataType.Float, 3);
        body.Input("xt", DataType.Float, 3);
        body.NodeMulti("Add", "acc", new[] { "s", "xt" }, new[] { "next" });
        body.Output("next", DataType.Float, 3);
        g.NodeMulti("Scan", "scan", new[] { "", g.Initializer("s0", new FloatTensor(new[] { batch, 3 })), x },
            new[] { "Y" }, ("num_scan_inputs", 1L));
        g.Graph.Node.Last()
            .Attribute.Add(new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph,
                G = body.Graph });
        g.Output("Y", DataType.Float, batch, 3);
        return g.Build(opset: 8);
    }

    [Fact]
    public void Scan8WithABatchOf1_IsRaisedTo13_AndSumsAsBefore()
    {
        var prepared = ModelPreprocessor.Prepare(Scan8(batch: 1), "old.onnx", Cpu).Model;
        Assert.Equal(13, prepared.OpsetImport.Single(o => o.Domain == "").Version);
        var xv = TinyModels.Random(5, 1f, 1, 2, 3);
        var y = Run(prepared, xv)[0].Value;
        Assert.Equal(new[] { 1, 3 }, y.Shape);
        for (int j = 0; j < 3; j++) Assert.Equal(xv.Data[j] + xv.Data[3 + j], y.Data[j], 6);
    }

    [Fact]
    public void AnOpTheUpgradeCannotRaise_IsRefusedInOneLineNamingItAndTheOpset()
    {
        // Scan-8 over a batch of 2 runs its body per batch item, which no later Scan does.
        var e = Assert.Throws<FpQuantException>(() => ModelPreprocessor.Prepare(Scan8(batch: 2), "old.onnx", Cpu));
        Assert.Contains("'scan' (Scan, opset 8)", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        // A rewrite that needs no newer opset keeps the model at its own instead of refusing it.
        var kept = ModelPreprocessor.Prepare(Scan8(batch: 2), "old.onnx", Cpu, minimumOpset: 1);
        Assert.Equal(8, kept.Model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Contains(kept.Notes, n => n.Contains("kept the model below opset 13"));
    }

    [Fact]
    public void ScatterAndOpsNewerThanTheirChanges_AreRaisedTo13()
    {
        var g = new GraphBuilder("old");
        string x = g.Input("X", DataType.Float, 2, 3);
        g.NodeMulti("Scatter", "scatter", new[] { x, g.ConstantInt64("idx", 0, 1, 0, 1, 0, 1), x }, new[] { "Y" });
        g.Graph.Initializer.Last().Dims.Clear();
        g.Graph.Initializer.Last().Dims.AddRange(new long[] { 2, 3 });
        g.Output("Y", DataType.Float, 2, 3);
        var prepared = ModelPreprocessor.Prepare(g.Build(opset: 10), "old.onnx", Cpu).Model;
        Assert.Equal(13, prepared.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Equal("ScatterElements", prepared.Graph.Node.Single().OpType);
        var xv = TinyModels.Random(3, 1f, 2, 3);
        var y = Run(prepared, xv)[0].Value;
        // Scatter along axis 0 with indices [[0,1,0],[1,0,1]]: y[idx[i][j]][j] = x[i][j].
        var expect = new float[6];
        int[,] idx = { { 0, 1, 0 }, { 1, 0, 1 } };
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) expect[idx[i, j] * 3 + j] = xv.Data[i * 3 + j];
        Assert.Equal(expect, y.Data);
    }

    [Fact]
    public void AModelAlreadyInShape_PassesThroughUnchanged()
    {
        var model = TinyModels.Conv(relu: true);
        var prepared = ModelPreprocessor.Prepare(model, "conv", Cpu);
        Assert.Same(model, prepared.Model);
        Assert.Empty(prepared.Notes);
    }
}
