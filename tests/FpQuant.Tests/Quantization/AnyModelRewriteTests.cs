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
/// Op patterns the ONNX backend test corpus holds and our own networks do not (convolutions of every rank, old
/// PRelu, ...), each on a tiny graph built here, quantized and run in ONNX Runtime against float.
/// </summary>
[Trait("Category", "Quick")]
public class AnyModelRewriteTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    private static List<(string Name, FloatTensor Value)> Run(ModelProto m,
        IReadOnlyDictionary<string, FloatTensor> feed)
    {
        using var s = new InferenceSession(m.ToByteArray());
        return SessionRun.Run(s, feed, s.OutputMetadata.Keys.ToArray());
    }

    private static QuantizationResult Quantize(ModelProto m, string preset,
        Dictionary<string, FloatTensor>? calibration = null) =>
        ModelQuantizer.Quantize(m, "tiny", QuantizationPresets.Get(preset), preset,
            calibration == null ? null : new InMemoryInputSource(new[] { calibration }), Cpu);

    // ---- dynamic Conv of any rank ----

    public static TheoryData<string, int[], long[], long, long> Convs => new()
    {
        // name, input shape (N x C x spatial), kernel, group, dilation
        { "conv1d", new[] { 2, 3, 10 }, new long[] { 3 }, 1, 1 },
        { "conv1d-dilated", new[] { 2, 3, 12 }, new long[] { 3 }, 1, 2 },
        { "conv1d-batch1", new[] { 1, 3, 10 }, new long[] { 3 }, 1, 1 },
        { "conv2d-grouped", new[] { 2, 4, 6, 6 }, new long[] { 3, 3 }, 2, 1 },
        { "conv3d", new[] { 2, 2, 4, 5, 4 }, new long[] { 3, 3, 3 }, 1, 1 },
        { "conv3d-grouped-dilated", new[] { 1, 4, 6, 6, 6 }, new long[] { 3, 3, 3 }, 4, 2 },
    };

    private static ModelProto ConvModel(int[] xShape, long[] kernel, long group, long dilation, int outChannels,
        bool computedBias)
    {
        int spatial = kernel.Length;
        var g = new GraphBuilder("conv");
        string x = g.Input("X", DataType.Float, xShape.Select(d => (Dim)d).ToArray());
        var wShape = new[] { outChannels, xShape[1] / (int)group }.Concat(kernel.Select(k => (int)k)).ToArray();
        string w = g.Initializer("conv.weight", TinyModels.Random(31, 0.4f, wShape));
        string b = g.Initializer("conv.bias", TinyModels.Random(32, 0.2f, outChannels));
        // A computed bias (bias x 2 through a Mul) takes the run-time reshape.
        if (computedBias) b = g.Node("Mul", "bias_x2", new[] { b, g.Constant("two", 2f) });
        var pads = kernel.Select(k => dilation * (k - 1) / 2).ToArray();
        g.NodeMulti("Conv", "conv", new[] { x, w, b }, new[] { "Y" }, ("kernel_shape", kernel), ("group", group),
            ("dilations", Enumerable.Repeat(dilation, spatial).ToArray()), ("pads", pads.Concat(pads).ToArray()));
        g.Output("Y", DataType.Float,
            new[] { (Dim)xShape[0], outChannels }.Concat(xShape.Skip(2).Select(d => (Dim)d)).ToArray());
        return g.Build();
    }

    [Theory]
    [MemberData(nameof(Convs))]
    public void DynamicConv_OfAnyRank_KeepsTheShapeAndStaysWithinTheScaleBound(string name, int[] xShape, long[] kernel,
        long group, long dilation)
    {
        foreach (bool computedBias in new[] { false, true })
        foreach (bool perChannel in new[] { false, true })
        {
            var m = ConvModel(xShape, kernel, group, dilation, outChannels: 4, computedBias);
            var x = TinyModels.Random(33, 2f, xShape);
            var feed = new Dictionary<string, FloatTensor> { ["X"] = x };
            var r = ModelQuantizer.Quantize(m, "tiny",
                QuantizationPresets.Get("onnx-dynamic") with { PerChannel = perChannel }, null, null, Cpu);
            Assert.Contains(r.Model.Graph.Node, n => n.OpType == "ConvInteger");
            var y = Run(m, feed)[0].Value;
            var yq = Run(r.Model, feed)[0].Value;
            Assert.Equal(y.Shape, yq.Shape);
            // u8 activations over [min(x, 0), max(x, 0)], s8 symmetric weights (a per-channel step is at most the
            // per-tensor one): every product errs by at most |w| sx/2 + |x| sw/2 + sx sw/4, over K = C/g x prod(kernel)
            // terms.
            var wInit = m.Graph.Initializer.First(i => i.Name == "conv.weight");
            float maxW = TensorProtos.ToFloats(wInit).Max(MathF.Abs), maxX = x.Data.Max(MathF.Abs);
            double sx = (Math.Max(0, x.Data.Max()) - Math.Min(0, x.Data.Min())) / 255.0, sw = maxW / 127.0;
            long k = wInit.Dims.Skip(1).Aggregate(1L, (a, d) => a * d);
            double bound = k * (maxW * sx / 2 + maxX * sw / 2 + sx * sw / 4) + 1e-5;
            for (int i = 0; i < y.Data.Length; i++)
                Assert.True(Math.Abs(y.Data[i] - yq.Data[i]) <= bound,
                    $"{name} (computed bias {computedBias}, per channel {perChannel}) element {i}: float " +
                    $"{y.Data[i]}, quantized {yq.Data[i]}, bound {bound}");
        }
    }

    // ---- PRelu across the opset raise ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Opset6PRelu_PerChannelSlope_StaysOnTheChannelAxisAfterTheRaise(bool slopeIsInput)
    {
        var g = new GraphBuilder("prelu6");
        string x = g.Input("X", DataType.Float, 2, 3, 4, 5);
        var slopeValues = new FloatTensor(new[] { 3 }, new[] { 0.1f, -0.5f, 2f });
        string slope = slopeIsInput ? g.Input("slope", DataType.Float, 3) : g.Initializer("slope", slopeValues);
        g.NodeMulti("PRelu", "prelu", new[] { x, slope }, new[] { "Y" });
        g.Output("Y", DataType.Float, 2, 3, 4, 5);
        var m = g.Build(opset: 6);
        m.IrVersion = 3;
        var prepared = ModelPreprocessor.Prepare(m, "prelu6", Cpu).Model;
        var xv = TinyModels.Random(41, 3f, 2, 3, 4, 5);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = xv };
        if (slopeIsInput) feed["slope"] = slopeValues;
        var y = Run(prepared, feed)[0].Value;
        Assert.Equal(new[] { 2, 3, 4, 5 }, y.Shape);
        for (int i = 0; i < xv.Data.Length; i++)
        {
            float v = xv.Data[i], a = slopeValues.Data[i / 20 % 3];
            Assert.Equal(v >= 0 ? v : a * v, y.Data[i], 6);
        }
        // And so does every preset that works on the raised model.
        var q = Quantize(m, "fp16");
        var yq = Run(q.Model, feed)[0].Value;
        // three float16 roundings of 2^-11 each
        for (int i = 0; i < y.Data.Length; i++) Assert.Equal(y.Data[i], yq.Data[i], 1e-6 + 0.002 * Math.Abs(y.Data[i]));
    }

    // ---- fp16 keeps what is not float ----

    /// <summary>
    /// Runs a model on a float input X and an int64 input B; every output as doubles with its element type.
    /// </summary>
    private static Dictionary<string,
        (Microsoft.ML.OnnxRuntime.Tensors.TensorElementType Type, long[] Shape, double[] Values)> RunAny(ModelProto m,
        float[] x, long[] b)
    {
        using var s = new InferenceSession(m.ToByteArray());
        using var xv = OrtValue.CreateTensorValueFromMemory(x, new long[] { 2, 5 });
        using var bv = OrtValue.CreateTensorValueFromMemory(b, new long[] { 3 });
        var names = s.OutputMetadata.Keys.ToArray();
        using var ro = new RunOptions();
        using var results = s.Run(ro, new[] { "X", "B" }, new[] { xv, bv }, names);
        var d = new Dictionary<string, (Microsoft.ML.OnnxRuntime.Tensors.TensorElementType, long[], double[])>();
        for (int i = 0; i < names.Length; i++)
        {
            var info = results[i].GetTensorTypeAndShape();
            double[] v = info.ElementDataType switch
            {
                Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float =>
                    results[i].GetTensorDataAsSpan<float>().ToArray().Select(f => (double)f).ToArray(),
                Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 =>
                    results[i].GetTensorDataAsSpan<long>().ToArray().Select(f => (double)f).ToArray(),
                Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Bool =>
                    results[i].GetTensorDataAsSpan<bool>().ToArray().Select(f => f ? 1.0 : 0.0).ToArray(),
                var t => throw new InvalidOperationException($"output {names[i]} is {t}"),
            };
            d[names[i]] = (info.ElementDataType, info.Shape, v);
        }
        return d;
    }

    [Fact]
    public void Fp16_KeepsIntegerAndBooleanOutputs_AndOpsWithoutHalfKernelsInFloat32()
    {
        var g = new GraphBuilder("mixed");
        string x = g.Input("X", DataType.Float, 2, 5);
        string b = g.Input("B", DataType.Int64, 3);
        g.NodeMulti("TopK", "topk", new[] { x, g.ConstantInt64("k", 2) }, new[] { "values", "indices" }, ("axis", 1L));
        // An integer base with a float exponent: the result is int64.
        g.NodeMulti("Pow", "pow", new[] { b, g.Constant("two", 2f) }, new[] { "power" });
        g.NodeMulti("IsInf", "isinf", new[] { x }, new[] { "inf" });
        g.NodeMulti("Dropout", "dropout", new[] { x }, new[] { "dropped", "mask" });
        // Range has no float16 form; its float32 result meets a float16 operand in the Add.
        string width = g.Node("Gather", "width",
            new[] { g.Node("Shape", "shape", new[] { x }),
                g.Initializer(TensorProtos.FromInt64("one", new long[] { 1 })) });
        string limit = g.Node("Cast", "limit", new[] { width }, ("to", (long)DataType.Float));
        string r = g.Node("Range", "range", new[] { g.Constant("start", 0f), limit, g.Constant("delta", 1f) });
        g.NodeMulti("Add", "add", new[] { r, x }, new[] { "sum" });
        // ScatterND with a reduction has no float16 CPU kernel.
        g.NodeMulti("ScatterND", "scatter",
            new[] { x, g.ConstantInt64("idx", 1), g.Initializer("upd", TinyModels.Random(51, 1f, 1, 5)) },
            new[] { "scattered" }, ("reduction", "add"));
        g.Graph.Initializer.First(i => i.Name == "idx").Dims.Clear();
        g.Graph.Initializer.First(i => i.Name == "idx").Dims.AddRange(new long[] { 1, 1 });
        g.Output("values", DataType.Float, 2, 2);
        g.Output("indices", DataType.Int64, 2, 2);
        g.Output("power", DataType.Int64, 3);
        g.Output("inf", DataType.Bool, 2, 5);
        g.Output("dropped", DataType.Float, 2, 5);
        g.Output("mask", DataType.Bool, 2, 5);
        g.Output("sum", DataType.Float, 2, 5);
        g.Output("scattered", DataType.Float, 2, 5);
        var m = g.Build();
        var r16 = Quantize(m, "fp16");
        Assert.Contains(r16.Model.Graph.Initializer, i => i.DataType == (int)DataType.Float16);
        var xs = TinyModels.Random(52, 4f, 2, 5).Data;
        xs[3] = float.PositiveInfinity;
        long[] bs = { 2, -3, 7 };
        var f = RunAny(m, xs, bs);
        var h = RunAny(r16.Model, xs, bs);
        foreach (var (name, (type, shape, values)) in f)
        {
            Assert.Equal(type, h[name].Type);
            Assert.Equal(shape, h[name].Shape);
            for (int i = 0; i < values.Length; i++)
            {
                double a = values[i], q = h[name].Values[i];
                if (double.IsInfinity(a)) { Assert.Equal(a, q); continue; }
                // Float results within a few float16 roundings (2^-11 relative each); the rest exact.
                double tol = type == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float
                    ? 4 * Math.Abs(a) / 2048 + 1e-3 : 0;
                Assert.True(Math.Abs(a - q) <= tol, $"{name}[{i}]: float {a}, fp16 model {q}");
            }
        }
        // The reduction and Range compute in float32: ScatterND reads the float32 input, not its float16 Cast.
        Assert.Equal("X", r16.Model.Graph.Node.Single(n => n.OpType == "ScatterND").Input[0]);
        Assert.Equal("start", r16.Model.Graph.Node.Single(n => n.OpType == "Range").Input[0]);
    }

    // ---- ConvTranspose, Gather (embeddings), Gemm of two activations ----

    private static float ScalarInit(ModelProto m, string name) =>
        TensorProtos.ToFloats(m.Graph.Initializer.Single(i => i.Name == name)).Max();

    [Theory]
    [InlineData("onnx-static")]
    [InlineData("weights-int8")]
    public void ConvTranspose_IsQuantized_PerOutputChannelOnAxis1_WithinTheScaleBound(string preset)
    {
        var g = new GraphBuilder("deconv");
        string x = g.Input("X", DataType.Float, 1, 3, 5, 5);
        string w = g.Initializer("up.weight", TinyModels.Random(61, 0.5f, 3, 2, 3, 3));
        string b = g.Initializer("up.bias", TinyModels.Random(62, 0.2f, 2));
        g.NodeMulti("ConvTranspose", "up", new[] { x, w, b }, new[] { "Y" }, ("kernel_shape", new long[] { 3, 3 }),
            ("strides", new long[] { 2, 2 }));
        g.Output("Y", DataType.Float, 1, 2, 11, 11);
        var m = g.Build();
        var xv = TinyModels.Random(63, 2f, 1, 3, 5, 5);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = xv };
        var r = Quantize(m, preset, feed);
        Assert.Contains("up", r.QuantizedNodes);
        var dq =
            r.Model.Graph.Node.Single(n => n.OpType == "DequantizeLinear" && n.Input[0] == "up.weight/quantized_axis1");
        Assert.Equal(1, dq.Attribute.Single(a => a.Name == "axis").I);
        var y = Run(m, feed)[0].Value;
        var yq = Run(r.Model, feed)[0].Value;
        var wScales = TensorProtos.ToFloats(r.Model.Graph.Initializer.Single(i => i.Name == "up.weight/scale_axis1"));
        float maxW = TensorProtos.ToFloats(m.Graph.Initializer.Single(i => i.Name == "up.weight")).Max(MathF.Abs);
        float maxX = xv.Data.Max(MathF.Abs);
        double sx = preset == "weights-int8" ? 0 : r.Params["X"].Scale[0];
        // Each output sums at most C x kH x kW = 27 products; weights step by their channel's scale.
        for (int i = 0; i < y.Data.Length; i++)
        {
            double sw = wScales[i / 121];
            double bound = 27 * (maxW * sx / 2 + maxX * sw / 2 + sx * sw / 4) + 1e-5;
            Assert.True(Math.Abs(y.Data[i] - yq.Data[i]) <= bound,
                $"{preset} element {i}: float {y.Data[i]}, quantized {yq.Data[i]}, bound {bound}");
        }
    }

    [Theory]
    [InlineData("onnx-static")]
    [InlineData("onnx-dynamic")]
    [InlineData("weights-int8")]
    public void EmbeddingGather_PicksIntegerRows_WithinHalfAStep(string preset)
    {
        var g = new GraphBuilder("embed");
        string ids = g.Input("ids", DataType.Int64, 2, 3);
        string table = g.Initializer("embed.weight", TinyModels.Random(71, 1.5f, 10, 4));
        g.NodeMulti("Gather", "embed", new[] { table, ids }, new[] { "E" });
        g.NodeMulti("Relu", "act", new[] { "E" }, new[] { "Y" });
        g.Output("Y", DataType.Float, 2, 3, 4);
        var m = g.Build();
        long[] idv = { 0, 9, 3, 3, 7, 1 };
        var batch = new Dictionary<string, InputTensor> { ["ids"] = new InputTensor(new[] { 2, 3 }, idv) };
        var options = QuantizationPresets.Get(preset);
        // Dynamic quantization leaves embeddings float unless asked (see DynamicOpQuantizers).
        if (options.Mode == QuantMode.Dynamic)
        {
            Assert.DoesNotContain("embed",
                ModelQuantizer.Quantize(m, "tiny", options, preset, null, Cpu).QuantizedNodes);
            options = options with { OpTypes = ["MatMul", "Gather"] };
        }
        var r = ModelQuantizer.Quantize(m, "tiny", options, preset, new InMemoryInputSource(new[] { batch }), Cpu);
        Assert.Contains("embed", r.QuantizedNodes);
        var gather = r.Model.Graph.Node.Single(n => n.OpType == "Gather");
        Assert.Equal((int)DataType.Int8, r.Model.Graph.Initializer.Single(i => i.Name == gather.Input[0]).DataType);
        Assert.DoesNotContain(r.Model.Graph.Initializer, i => i.Name == "embed.weight");
        float step = ScalarInit(r.Model, "embed.weight/scale");
        using var f = new InferenceSession(m.ToByteArray());
        using var q = new InferenceSession(r.Model.ToByteArray());
        var y = SessionRun.Run(f, batch, new[] { "Y" });
        var yq = SessionRun.Run(q, batch, new[] { "Y" });
        for (int i = 0; i < y[0].Value.Data.Length; i++)
            Assert.True(Math.Abs(y[0].Value.Data[i] - yq[0].Value.Data[i]) <= step / 2 + 1e-6, $"{preset} element {i}");
    }

    [Fact]
    public void StaticGemmOfTwoActivations_IsQuantizedLikeMatMul()
    {
        var g = new GraphBuilder("gemm2");
        string a = g.Input("A", DataType.Float, 2, 4);
        string b = g.Input("B", DataType.Float, 4, 3);
        g.NodeMulti("Gemm", "gemm", new[] { a, b }, new[] { "Y" });
        g.Output("Y", DataType.Float, 2, 3);
        var m = g.Build();
        var feed = new Dictionary<string, FloatTensor> { ["A"] = TinyModels.Random(81, 2f, 2, 4),
            ["B"] = TinyModels.Random(82, 1f, 4, 3) };
        foreach (var format in new[] { QuantFormat.Qdq, QuantFormat.QOperator })
        {
            var r = ModelQuantizer.Quantize(m, "tiny", new QuantizationOptions { Format = format }, null,
                new InMemoryInputSource(new[] { feed }), Cpu);
            Assert.Contains("gemm", r.QuantizedNodes);
            foreach (var operand in new[] { "A", "B" })
                Assert.Contains(r.Model.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == operand);
            var y = Run(m, feed)[0].Value;
            var yq = Run(r.Model, feed)[0].Value;
            double sa = r.Params["A"].Scale[0], sb = r.Params["B"].Scale[0];
            float maxA = feed["A"].Data.Max(MathF.Abs), maxB = feed["B"].Data.Max(MathF.Abs);
            double bound = 4 * (maxB * sa / 2 + maxA * sb / 2 + sa * sb / 4) + 1e-5;
            for (int i = 0; i < y.Data.Length; i++)
                Assert.True(Math.Abs(y.Data[i] - yq.Data[i]) <= bound,
                    $"{format} element {i}: {y.Data[i]} vs {yq.Data[i]}, bound {bound}");
        }
    }

    [Fact]
    public void Opset6AxisBroadcast_IsAlignedForNumpyBroadcasting()
    {
        var g = new GraphBuilder("add6");
        string x = g.Input("X", DataType.Float, 2, 3, 4);
        string bias = g.Initializer("bias", new FloatTensor(new[] { 3 }, new[] { 1f, 10f, 100f }));
        g.NodeMulti("Add", "add", new[] { x, bias }, new[] { "Y" }, ("broadcast", 1L), ("axis", 1L));
        g.Output("Y", DataType.Float, 2, 3, 4);
        var m = g.Build(opset: 6);
        m.IrVersion = 3;
        var prepared = ModelPreprocessor.Prepare(m, "add6", Cpu).Model;
        var xv = TinyModels.Random(91, 1f, 2, 3, 4);
        var y = Run(prepared, new Dictionary<string, FloatTensor> { ["X"] = xv })[0].Value;
        for (int i = 0; i < y.Data.Length; i++)
            Assert.Equal(xv.Data[i] + new[] { 1f, 10f, 100f }[i / 4 % 3], y.Data[i], 5);
    }

    // ---- coarse steps ----

    [Fact]
    public void LogitsSpanningTenThousand_WarnThatTheSoftmaxLosesItsOutput_NarrowOnesDoNot()
    {
        var g = new GraphBuilder("softmax");
        string x = g.Input("X", DataType.Float, 2, 4);
        g.NodeMulti("Softmax", "probs", new[] { x }, new[] { "Y" }, ("axis", 1L));
        g.Output("Y", DataType.Float, 2, 4);
        var m = g.Build();
        var wide = new Dictionary<string,
            FloatTensor> { ["X"] = new(new[] { 2, 4 }, new[] { 0f, 1f, 2f, 3f, 10000f, 10001f, 10002f, 10003f }) };
        var narrow = new Dictionary<string,
            FloatTensor> { ["X"] = new(new[] { 2, 4 }, new[] { 0f, 1f, 2f, 3f, -1f, 0.5f, 2f, 3f }) };
        var r = Quantize(m, "onnx-static", wide);
        var warning = Assert.Single(r.Warnings, w => w.Contains("integer step"));
        Assert.Contains("'X' feeds Softmax 'probs'", warning);
        Assert.Contains("Exclude 'probs'", warning);
        Assert.DoesNotContain("\n", warning);
        Assert.DoesNotContain(Quantize(m, "onnx-static", narrow).Warnings, w => w.Contains("integer step"));
    }
}
