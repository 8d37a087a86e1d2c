using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>
/// Layers inside If, Loop and Scan bodies: every mode reaches them (weights defined inside the body and outside
/// it), the quantized model runs in ONNX Runtime and stays near float, and calibration sees tensors that exist only
/// inside a body.
/// </summary>
[Trait("Category", "Quick")]
public class SubgraphQuantizationTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    private static AttributeProto GraphAttr(string name, GraphProto g) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = g };

    /// <summary>If(C): then = X x W (W outside), else = X x W2 (W2 inside the branch).</summary>
    private static ModelProto IfModel()
    {
        var g = new GraphBuilder("if");
        string x = g.Input("X", DataType.Float, 2, 4);
        string c = g.Input("C", DataType.Bool);
        g.Initializer("W", TinyModels.Random(101, 0.5f, 4, 3));
        var then = new GraphBuilder("then");
        then.NodeMulti("MatMul", "then_mm", new[] { x, "W" }, new[] { "then_y" });
        then.Output("then_y", DataType.Float, 2, 3);
        var other = new GraphBuilder("else");
        other.Initializer("W2", TinyModels.Random(102, 0.5f, 4, 3));
        other.NodeMulti("MatMul", "else_mm", new[] { x, "W2" }, new[] { "else_y" });
        other.Output("else_y", DataType.Float, 2, 3);
        g.NodeMulti("If", "branch", new[] { c }, new[] { "Y" });
        g.Graph.Node.Last().Attribute.Add(GraphAttr("then_branch", then.Graph));
        g.Graph.Node.Last().Attribute.Add(GraphAttr("else_branch", other.Graph));
        g.Output("Y", DataType.Float, 2, 3);
        return g.Build();
    }

    /// <summary>Three iterations of h = h x W (W outside the body), from h = X.</summary>
    private static ModelProto LoopModel()
    {
        var g = new GraphBuilder("loop");
        string x = g.Input("X", DataType.Float, 2, 4);
        g.Initializer("W", TinyModels.Random(103, 0.45f, 4, 4));
        var body = new GraphBuilder("body");
        body.Input("i", DataType.Int64);
        body.Input("cond_in", DataType.Bool);
        body.Input("h_in", DataType.Float, 2, 4);
        body.NodeMulti("Identity", "keep_going", new[] { "cond_in" }, new[] { "cond_out" });
        body.NodeMulti("MatMul", "step_mm", new[] { "h_in", "W" }, new[] { "h_out" });
        body.Output("cond_out", DataType.Bool);
        body.Output("h_out", DataType.Float, 2, 4);
        g.Initializer(TensorProtos.FromInt64("trips", new long[] { 3 }));
        g.Initializer(new TensorProto { Name = "go", DataType = (int)DataType.Bool, RawData = ByteString.CopyFrom(1) });
        g.NodeMulti("Loop", "loop", new[] { "trips", "go", x }, new[] { "Y" });
        g.Graph.Node.Last().Attribute.Add(GraphAttr("body", body.Graph));
        g.Output("Y", DataType.Float, 2, 4);
        return g.Build();
    }

    /// <summary>
    /// A running sum over the rows of X of row x W (W inside the body), every partial sum a scan output.
    /// </summary>
    private static ModelProto ScanModel()
    {
        var g = new GraphBuilder("scan");
        string x = g.Input("X", DataType.Float, 3, 4);
        g.Initializer("s0", new FloatTensor(new[] { 1, 4 }));
        var body = new GraphBuilder("body");
        body.Input("s_in", DataType.Float, 1, 4);
        body.Input("row", DataType.Float, 4);
        body.Initializer("Wb", TinyModels.Random(104, 0.5f, 4, 4));
        body.NodeMulti("Unsqueeze", "as_matrix", new[] { "row", body.ConstantInt64("axis0", 0) }, new[] { "row2" });
        body.NodeMulti("MatMul", "row_mm", new[] { "row2", "Wb" }, new[] { "proj" });
        body.NodeMulti("Add", "accumulate", new[] { "s_in", "proj" }, new[] { "s_out" });
        body.NodeMulti("Identity", "emit", new[] { "s_out" }, new[] { "partial" });
        body.Output("s_out", DataType.Float, 1, 4);
        body.Output("partial", DataType.Float, 1, 4);
        g.NodeMulti("Scan", "scan", new[] { "s0", x }, new[] { "S", "Y" }, ("num_scan_inputs", 1L));
        g.Graph.Node.Last().Attribute.Add(GraphAttr("body", body.Graph));
        g.Output("S", DataType.Float, 1, 4);
        g.Output("Y", DataType.Float, 3, 1, 4);
        return g.Build();
    }

    public static TheoryData<string, string> Cases()
    {
        var d = new TheoryData<string, string>();
        foreach (var model in new[] { "if-then", "if-else", "loop", "scan" })
            foreach (var preset in new[] { "onnx-static", "onnx-dynamic", "weights-int8", "fp16" })
                d.Add(model, preset);
        return d;
    }

    private static (ModelProto Model, Dictionary<string, InputTensor> Feed) Case(string name)
    {
        var x = TinyModels.Random(105, 2f, name == "scan" ? new[] { 3, 4 } : new[] { 2, 4 });
        var feed = new Dictionary<string, InputTensor> { ["X"] = x };
        if (name.StartsWith("if", StringComparison.Ordinal))
        {
            // A bool input has no InputTensor form: the branch is chosen by a Cast of a float.
            var m = IfModel();
            var cond = m.Graph.Input.Single(i => i.Name == "C");
            cond.Name = "C_float";
            cond.Type.TensorType.ElemType = (int)DataType.Float;
            var cast = new NodeProto { OpType = "Cast", Name = "to_bool" };
            cast.Input.Add("C_float"); cast.Output.Add("C");
            cast.Attribute.Add(GraphBuilder.Attr("to", (long)DataType.Bool));
            m.Graph.Node.Insert(0, cast);
            feed["C_float"] = new InputTensor(Array.Empty<int>(), new[] { name == "if-then" ? 1f : 0f });
            return (m, feed);
        }
        return (name == "loop" ? LoopModel() : ScanModel(), feed);
    }

    [Fact]
    public void MixedRecipe_GetsTheDepthSummaryAndNothingQuantizedNote_LikeEverySingleMode()
    {
        // Mixed rules select main-graph nodes by name, so the Loop's body keeps its float MatMul.
        var (m, feed) = Case("loop");
        var o = new QuantizationOptions { Modes =
            [new FpQuant.Quantization.Mixed.ModeRule { Mode = FpQuant.Quantization.Mixed.NodeMode.Dynamic }] };
        var r = ModelQuantizer.Quantize(m, "loop", o, null, new InMemoryInputSource(new[] { feed }), Cpu);
        Assert.Contains("quantized nodes by depth: none", r.Warnings);
        Assert.Contains(r.Warnings,
            w => w.StartsWith("nothing was quantized: no node of loop qualifies under mixed's options",
                StringComparison.Ordinal));
        Assert.Equal(m, r.Model);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LayersInsideBodies_AreQuantized_AndStayNearFloat(string name, string preset)
    {
        var (m, feed) = Case(name);
        var r = ModelQuantizer.Quantize(m, name, QuantizationPresets.Get(preset), preset,
            new InMemoryInputSource(new[] { feed }), Cpu);
        var note = Assert.Single(r.Warnings, w => w.StartsWith("quantized nodes by depth", StringComparison.Ordinal));
        Assert.Contains("at subgraph depth 1", note);
        Assert.DoesNotContain(r.QuantizedNodes, n => n is "loop" or "scan" or "branch");
        using var f = new InferenceSession(m.ToByteArray());
        using var q = new InferenceSession(r.Model.ToByteArray());
        var names = f.OutputMetadata.Keys.ToArray();
        var y = SessionRun.Run(f, feed, names);
        var yq = SessionRun.Run(q, feed, names);
        for (int k = 0; k < y.Count; k++)
        {
            // Each int8 rounding is at most half a step, 1/510 of its range, on inputs and weights of 4-term dot
            // products, compounded over at most three steps: within 3 % of the output's largest magnitude.
            float scale = y[k].Value.Data.Max(MathF.Abs);
            for (int i = 0; i < y[k].Value.Data.Length; i++)
                Assert.True(Math.Abs(y[k].Value.Data[i] - yq[k].Value.Data[i]) <= 0.03f * scale,
                    $"{name} {preset} {y[k].Name}[{i}]: float {y[k].Value.Data[i]}, quantized {yq[k].Value.Data[i]}");
        }
    }

    [Fact]
    public void Calibration_ObservesTensorsThatExistOnlyInsideALoopBody()
    {
        var (m, feed) = Case("loop");
        var r = ModelQuantizer.Quantize(m, "loop", QuantizationPresets.Get("onnx-static"), "onnx-static",
            new InMemoryInputSource(new[] { feed }), Cpu);
        // h_in is the body's carried input: X on the first pass, X W and X W W after; its range covers all three.
        var x = (float[])feed["X"].Data;
        var w = TensorProtos.ToFloats(m.Graph.Initializer.Single(i => i.Name == "W"));
        var h = x.ToArray();
        float lo = h.Min(), hi = h.Max();
        for (int step = 0; step < 2; step++)
        {
            var next = new float[8];
            for (int row = 0; row < 2; row++)
                for (int col = 0; col < 4; col++)
                    for (int k = 0; k < 4; k++) next[row * 4 + col] += h[row * 4 + k] * w[k * 4 + col];
            h = next;
            lo = Math.Min(lo, h.Min()); hi = Math.Max(hi, h.Max());
        }
        Assert.True(r.Ranges.ContainsKey("h_in"));
        Assert.Equal(lo, r.Ranges["h_in"].Min, 4);
        Assert.Equal(hi, r.Ranges["h_in"].Max, 4);
    }

    [Fact]
    public void Inspect_ListsTheOpsInsideBodies_ByDepth()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "loop.onnx");
        OnnxModelFile.Save(LoopModel(), path);
        var lines = FpQuant.Networks.ModelInspector.Inspect(path).Lines().ToList();
        Assert.Contains("ops: Loop 1", lines);
        Assert.Contains("subgraph ops (depth 1): Identity 1, MatMul 1", lines);
    }

    [Theory]
    [InlineData("onnx-static")]
    [InlineData("fp16")]
    public void QuantizingABodyTwice_GivesByteIdenticalModels(string preset)
    {
        var (m, feed) = Case("loop");
        byte[] Once() => OnnxModelFile.Serialize(ModelQuantizer.Quantize(m, "loop", QuantizationPresets.Get(preset),
            preset, new InMemoryInputSource(new[] { feed }), Cpu).Model);
        Assert.Equal(Once(), Once());
    }
}
