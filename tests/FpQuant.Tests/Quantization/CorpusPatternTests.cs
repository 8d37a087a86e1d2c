using System.Runtime.InteropServices;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization;

/// <summary>A theory over models of the ONNX backend test corpus (Debian's libonnx-testdata), skipped with the
/// install command where the package is absent.</summary>
public sealed class CorpusModelTheoryAttribute : TheoryAttribute
{
    public const string Root = "/usr/share/libonnx-testdata/data";

    public CorpusModelTheoryAttribute()
    {
        if (!Directory.Exists(Root))
            Skip = "the ONNX backend test corpus is not installed: sudo apt-get install libonnx-testdata";
    }
}

/// <summary>
/// A few named corpus models, each one a pattern that was written broken, wrong or refused before (Conv1d/Conv3d
/// under dynamic quantization, opset-6 PRelu, fp16 of TopK/ScatterND/NonMaxSuppression, Loop and Scan bodies):
/// quantized with the preset, run in ONNX Runtime on the test's own inputs, compared with its expected outputs.
/// </summary>
[Trait("Category", "Corpus")]
[Trait("Category", "Quick")]
public class CorpusPatternTests
{
    private static readonly RuntimeSettings Cpu = new() { IntraOpThreads = 1 };

    [CorpusModelTheory]
    [InlineData("pytorch-converted/test_Conv1d_pad1size1", "onnx-dynamic")]
    [InlineData("pytorch-converted/test_Conv1d_groups", "onnx-dynamic")]
    [InlineData("pytorch-converted/test_Conv3d_groups", "onnx-dynamic")]
    [InlineData("pytorch-converted/test_Conv3d_dilated_strided", "onnx-dynamic")]
    [InlineData("pytorch-converted/test_PReLU_2d_multiparam", "fp16")]
    [InlineData("pytorch-converted/test_PReLU_3d_multiparam", "weights-int8")]
    [InlineData("node/test_top_k", "fp16")]
    [InlineData("node/test_scatternd_add", "fp16")]
    [InlineData("node/test_dropout_default_mask", "fp16")]
    [InlineData("node/test_nonmaxsuppression_two_classes", "fp16")]
    [InlineData("node/test_nonmaxsuppression_two_classes", "weights-int8")]
    [InlineData("node/test_loop11", "fp16")]
    [InlineData("node/test_scan9_sum", "onnx-static")]
    public void QuantizedCorpusModel_RunsAndMatchesTheExpectedOutputs(string test, string preset)
    {
        string dir = Path.Combine(CorpusModelTheoryAttribute.Root, test);
        var model = OnnxModelFile.Load(Path.Combine(dir, "model.onnx"));
        var inits = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputNames = model.Graph.Input.Where(i => !inits.Contains(i.Name)).Select(i => i.Name).ToList();
        var inputs = Read(dir, "input", inputNames);
        var expected = Read(dir, "output", model.Graph.Output.Select(o => o.Name).ToList());
        InputSource? calibration = null;
        if (preset == "onnx-static")
            calibration = new InMemoryInputSource(new[] { inputs.ToDictionary(kv => kv.Key,
                kv => new FpQuant.Core.InputTensor(kv.Value.Dims.Select(d => (int)d).ToArray(),
                    TensorProtos.ToFloats(kv.Value))) });
        var r = ModelQuantizer.Quantize(model, test, QuantizationPresets.Get(preset), preset, calibration, Cpu);
        var actual = Run(r.Model, inputs);
        // Float16 keeps 11 significant bits (a relative 2^-11 per rounding) and int8 a 255th of each range: over
        // these models' few chained ops the outputs stay within 1 % (fp16) and 3 % (int8) of their largest value.
        double tolerance = preset == "fp16" ? 0.01 : 0.03;
        foreach (var (name, e) in expected)
        {
            var (type, shape, values) = actual[name];
            Assert.Equal((DataType)e.DataType, type);
            Assert.Equal(e.Dims.ToArray(), shape);
            var want = Values(e);
            double scale = want.Length == 0 ? 0 : want.Max(Math.Abs);
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(want[i] - values[i]) <= tolerance * scale + 1e-6,
                    $"{test} {preset} {name}[{i}]: expected {want[i]}, got {values[i]}");
        }
    }

    private static Dictionary<string, TensorProto> Read(string dir, string kind, List<string> names)
    {
        var files = Directory.GetFiles(Path.Combine(dir, "test_data_set_0"), $"{kind}_*.pb")
            .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f).Split('_')[1])).ToList();
        return files.Select((f, k) => (names[k], TensorProto.Parser.ParseFrom(File.ReadAllBytes(f))))
            .ToDictionary(x => x.Item1, x => x.Item2);
    }

    /// <summary>The raw little-endian bytes of a float, int64, int32 or bool tensor.</summary>
    private static byte[] Bytes(TensorProto t) => !t.RawData.IsEmpty ? t.RawData.ToByteArray()
        : (DataType)t.DataType switch
    {
        DataType.Float => MemoryMarshal.AsBytes(t.FloatData.ToArray().AsSpan()).ToArray(),
        DataType.Int64 => MemoryMarshal.AsBytes(t.Int64Data.ToArray().AsSpan()).ToArray(),
        DataType.Int32 => MemoryMarshal.AsBytes(t.Int32Data.ToArray().AsSpan()).ToArray(),
        DataType.Bool => t.Int32Data.Select(v => (byte)v).ToArray(),
        var d => throw new NotSupportedException($"{d}"),
    };

    private static double[] Values(TensorProto t)
    {
        var b = Bytes(t);
        return (DataType)t.DataType switch
        {
            DataType.Float => MemoryMarshal.Cast<byte, float>(b).ToArray().Select(v => (double)v).ToArray(),
            DataType.Int64 => MemoryMarshal.Cast<byte, long>(b).ToArray().Select(v => (double)v).ToArray(),
            DataType.Int32 => MemoryMarshal.Cast<byte, int>(b).ToArray().Select(v => (double)v).ToArray(),
            _ => b.Select(v => (double)v).ToArray(),
        };
    }

    private static Dictionary<string, (DataType Type, long[] Shape, double[] Values)> Run(ModelProto m,
        Dictionary<string, TensorProto> inputs)
    {
        using var s = new InferenceSession(m.ToByteArray());
        var handles = new List<GCHandle>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (_, t) in inputs)
            {
                var b = Bytes(t);
                var h = GCHandle.Alloc(b, GCHandleType.Pinned);
                handles.Add(h);
                values.Add(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance,
                    (TensorElementType)t.DataType, t.Dims.ToArray(), h.AddrOfPinnedObject(), b.Length));
            }
            var names = s.OutputMetadata.Keys.ToArray();
            using var ro = new RunOptions();
            using var results = s.Run(ro, inputs.Keys.ToArray(), values, names);
            var d = new Dictionary<string, (DataType, long[], double[])>();
            for (int i = 0; i < names.Length; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                double[] v = info.ElementDataType switch
                {
                    TensorElementType.Float =>
                        results[i].GetTensorDataAsSpan<float>().ToArray().Select(x => (double)x).ToArray(),
                    TensorElementType.Int64 =>
                        results[i].GetTensorDataAsSpan<long>().ToArray().Select(x => (double)x).ToArray(),
                    TensorElementType.Int32 =>
                        results[i].GetTensorDataAsSpan<int>().ToArray().Select(x => (double)x).ToArray(),
                    TensorElementType.Bool =>
                        results[i].GetTensorDataAsSpan<bool>().ToArray().Select(x => x ? 1.0 : 0.0).ToArray(),
                    var other => throw new NotSupportedException($"{other}"),
                };
                d[names[i]] = ((DataType)(int)info.ElementDataType, info.Shape, v);
            }
            return d;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
            foreach (var h in handles) h.Free();
        }
    }
}
