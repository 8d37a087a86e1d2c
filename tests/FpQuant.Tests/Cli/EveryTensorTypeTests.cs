using System.Text.Json;
using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using FpQuant.Tests.Support;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Cli;

/// <summary>`infer` and `npy:` calibration feed every numeric and bool tensor type ONNX Runtime takes, write every
/// output in its own type, run models without inputs, and refuse a file of the wrong kind or range in one
/// line.</summary>
[Collection(CliCollection.Name)]
[Trait("Category", "Quick")]
public sealed class EveryTensorTypeTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    public static readonly TheoryData<InputElementType, DataType> Types = new()
    {
        { InputElementType.Bool, DataType.Bool }, { InputElementType.Int8, DataType.Int8 },
        { InputElementType.Int16, DataType.Int16 },
        { InputElementType.Int32, DataType.Int32 }, { InputElementType.Int64, DataType.Int64 },
        { InputElementType.UInt8, DataType.Uint8 },
        { InputElementType.UInt16, DataType.Uint16 }, { InputElementType.UInt32, DataType.Uint32 },
        { InputElementType.UInt64, DataType.Uint64 },
        { InputElementType.Float16, DataType.Float16 }, { InputElementType.BFloat16, DataType.Bfloat16 },
        { InputElementType.Float, DataType.Float }, { InputElementType.Double, DataType.Double },
    };

    /// <summary>
    /// Values 0, 1, 2, ... (bool: alternating) as a tensor of <paramref name="t"/>, exact in every type.
    /// </summary>
    private static InputTensor Ramp(InputElementType t, params int[] shape)
    {
        long n = FloatTensor.ElementCount(shape);
        var a = Array.CreateInstance(t.ArrayElement(), n);
        for (int i = 0; i < n; i++)
            a.SetValue(t switch
            {
                InputElementType.Bool => i % 2 == 1,
                InputElementType.Float16 => (Half)(i * 0.5f),
                InputElementType.BFloat16 => InputElementTypes.ToBFloat16(i * 0.5f),
                InputElementType.Float => i * 0.5f,
                InputElementType.Double => i * 0.5,
                _ => Convert.ChangeType(i, t.ArrayElement(), System.Globalization.CultureInfo.InvariantCulture),
            }, i);
        return new InputTensor(shape, t, a);
    }

    private static string IdentityModel(TempDir tmp, DataType type)
    {
        var g = new GraphBuilder("id");
        g.NodeMulti("Identity", "id", new[] { g.Input("x", type, "N", 3) }, new[] { "y" });
        g.Output("y", type, "N", 3);
        string path = tmp.File("id.onnx");
        OnnxModelFile.Save(g.Build(), path);
        return path;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Infer_FeedsEachType_AndWritesTheOutputInItsOwnType(InputElementType type, DataType onnxType)
    {
        using var tmp = new TempDir();
        string model = IdentityModel(tmp, onnxType);
        var x = Ramp(type, 2, 3);
        // bfloat16 has no NumPy type: its values are given (and come back) as float32, which holds them exactly.
        var file = type == InputElementType.BFloat16 ? Ramp(InputElementType.Float, 2, 3) : x;
        NpyFile.Write(tmp.File("x.npy"), file);

        ModelInference.Run(model, new[] { "x=" + tmp.File("x.npy") }, 1, tmp.File("npy"), Cpu, npyOutputs: true);
        var h = NpyFile.ReadHeader(tmp.File("npy/y.npy"));
        Assert.Equal(file.ElementType, h.TensorType);
        Assert.Equal(new long[] { 2, 3 }, h.Shape);
        var y = NpyFile.ReadTensor(tmp.File("npy/y.npy"), h.TensorType, "y");
        Assert.Equal(Enumerable.Range(0, 6).Select(i => file.ValueAt(i)),
            Enumerable.Range(0, 6).Select(i => y.ValueAt(i)));
        using var doc = JsonDocument.Parse(File.ReadAllText(tmp.File("npy/outputs.json")));
        var entry = Assert.Single(doc.RootElement.GetProperty("outputs").EnumerateArray());
        Assert.Equal(type.Name(), entry.GetProperty("modelType").GetString());

        // Raw .bin outputs: the model's own bytes, in the type outputs.json names.
        ModelInference.Run(model, new[] { "x=" + tmp.File("x.npy") }, 1, tmp.File("bin"), Cpu);
        Assert.Equal(x.Bytes.ToArray(), File.ReadAllBytes(tmp.File("bin/y.bin")));
        using var bin = JsonDocument.Parse(File.ReadAllText(tmp.File("bin/outputs.json")));
        Assert.Equal(type.Name(), bin.RootElement.GetProperty("outputs")[0].GetProperty("dtype").GetString());
    }

    [Fact]
    public void Infer_ConvertsWithinAKind_AndRefusesOtherKindsAndOutOfRangeValues_InOneLineNamingTheInput()
    {
        using var tmp = new TempDir();
        string u8 = IdentityModel(tmp, DataType.Uint8);
        // int64 values that fit uint8 are converted.
        NpyFile.Write(tmp.File("x.npy"), new long[] { 0, 1, 2, 250, 251, 255 }, new long[] { 2, 3 });
        ModelInference.Run(u8, new[] { "x=" + tmp.File("x.npy") }, 1, tmp.File("o"), Cpu, npyOutputs: true);
        Assert.Equal(new byte[] { 0, 1, 2, 250, 251, 255 },
            (byte[])NpyFile.ReadTensor(tmp.File("o/y.npy"), InputElementType.UInt8, "y").Data);
        // 300 does not fit.
        NpyFile.Write(tmp.File("x.npy"), new long[] { 0, 1, 2, 3, 4, 300 }, new long[] { 2, 3 });
        var e = Assert.Throws<FpQuantException>(() =>
            ModelInference.Run(u8, new[] { "x=" + tmp.File("x.npy") }, 1, tmp.File("o"), Cpu));
        Assert.Contains(tmp.File("x.npy"), e.Message); Assert.Contains("uint8", e.Message); Assert.DoesNotContain('\n',
            e.Message);
        // Floats do not feed an integer input.
        NpyFile.Write(tmp.File("x.npy"), new float[6], new long[] { 2, 3 });
        e = Assert.Throws<FpQuantException>(() =>
            ModelInference.Run(u8, new[] { "x=" + tmp.File("x.npy") }, 1, tmp.File("o"), Cpu));
        Assert.Contains("input 'x'", e.Message); Assert.Contains("<f4", e.Message);
        // float32 values feed float16 inputs, rounded.
        string f16 = IdentityModel(tmp, DataType.Float16);
        NpyFile.Write(tmp.File("x.npy"), new[] { 0.1f, 1, 2, 3, 4, 65504 }, new long[] { 2, 3 });
        ModelInference.Run(f16, new[] { "x=" + tmp.File("x.npy") }, 1, tmp.File("h"), Cpu, npyOutputs: true);
        Assert.Equal((Half)0.1f,
            ((Half[])NpyFile.ReadTensor(tmp.File("h/y.npy"), InputElementType.Float16, "y").Data)[0]);
        // A wrong shape names the input and both shapes.
        NpyFile.Write(tmp.File("x.npy"), new float[8], new long[] { 2, 4 });
        e = Assert.Throws<FpQuantException>(() =>
            ModelInference.Run(f16, new[] { "x=" + tmp.File("x.npy") }, 1, tmp.File("h"), Cpu));
        Assert.Contains("input 'x'", e.Message); Assert.Contains("(2, 4)",
            e.Message); Assert.Contains("float16 [N x 3]", e.Message);
    }

    [Fact]
    public void Infer_WritesEveryOutput_AndRunsAModelWithoutInputs()
    {
        using var tmp = new TempDir();
        // TopK: float values and int64 indices; neither is dropped. No inputs at all: the data is a constant.
        var g = new GraphBuilder("topk");
        string data = g.Initializer("data", new FloatTensor(new[] { 1, 5 }, new[] { 3f, 1, 4, 1, 5 }));
        string k = g.ConstantInt64("k", 2);
        g.NodeMulti("TopK", "topk", new[] { data, k }, new[] { "values", "indices" });
        g.Output("values", DataType.Float, 1, 2);
        g.Output("indices", DataType.Int64, 1, 2);
        string model = tmp.File("topk.onnx");
        OnnxModelFile.Save(g.Build(), model);

        var r = CliHarness.Run("infer", "--model", model, "--out", tmp.File("o"), "--npy");
        Assert.Equal(0, r.Code);
        Assert.Equal(new[] { 5f, 4 }, NpyFile.ReadFloat32(tmp.File("o/values.npy")));
        Assert.Equal(new long[] { 4, 2 }, NpyFile.ReadInt64(tmp.File("o/indices.npy")));
        using var doc = JsonDocument.Parse(File.ReadAllText(tmp.File("o/outputs.json")));
        Assert.Equal(new[] { "float32", "int64" },
            doc.RootElement.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("dtype").GetString()));
        Assert.Contains("indices [1x2]", r.Out);
    }

    [Fact]
    public void NpyCalibration_FeedsEachType_AndAWholeFixedShapeInputWithEveryBatch()
    {
        using var tmp = new TempDir();
        // ids uint8 [N x 4] and a float16 operand fixed at [3 x 4]: 10 samples of ids, one whole w.
        var g = new GraphBuilder("mixed");
        string ids = g.Input("ids", DataType.Uint8, "N", 4);
        string w = g.Input("w", DataType.Float16, 3, 4);
        string f = g.Node("Cast", "cast", new[] { ids }, ("to", (long)DataType.Float16));
        string s = g.Node("ReduceSum", "sum", new[] { w }, ("axes", new long[] { 0 }), ("keepdims", 1L));
        g.NodeMulti("Add", "add", new[] { f, s }, new[] { "y" });
        g.Output("y", DataType.Float16, "N", 4);
        var model = g.Build(opset: 11);
        NpyFile.Write(tmp.File("ids.npy"), Enumerable.Range(0, 40).Select(i => (byte)i).ToArray(),
            new long[] { 10, 4 });
        NpyFile.Write(tmp.File("w.npy"), Enumerable.Range(0, 12).Select(i => (Half)i).ToArray(), new long[] { 3, 4 });
        var batches = new NpyInputSource(tmp.Path, null, 4).Batches(model, "mixed").ToList();
        Assert.Equal(new[] { 4, 4, 2 }, batches.Select(b => b["ids"].Samples));
        Assert.All(batches, b => Assert.Equal(new[] { 3, 4 }, b["w"].Shape));
        Assert.Equal(InputElementType.UInt8, batches[0]["ids"].ElementType);
        Assert.Equal(InputElementType.Float16, batches[0]["w"].ElementType);
        Assert.Equal((byte)32, ((byte[])batches[2]["ids"].Data)[0]);
        // The batches run.
        string path = tmp.File("m.onnx");
        OnnxModelFile.Save(model, path);
        using var runner = new ModelRunner(path, Cpu);
        var y = Assert.Single(runner.RunAll(batches[2])).Value;
        Assert.Equal(32 + 0 + 4 + 8, y.ValueAt(0));
    }
}
