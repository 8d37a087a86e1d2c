using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Tests.Support;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>
/// Gemm in dynamic mode (DynamicGemmQuantizer): a transB weight is transposed once at quantization time and stored
/// as int8 K x N; the activation is quantized by DynamicQuantizeLinear on every run over its own range; MatMulInteger
/// accumulates, a Mul rescales and the float bias is added. A dot product of K terms with rounded inputs (step sx) and
/// weights (step sw) errs by at most K (max|w| sx/2 + max|x| sw/2 + sx sw/4); the bias and the output are not rounded.
/// </summary>
[Trait("Category", "Quick")]
public class DynamicGemmHandlerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DynamicGemm_TransBWeightIsStoredTransposed_WithinTheDotBound(bool perChannel)
    {
        var m = TinyModels.Gemm();
        var x = TinyModels.Random(231, 2f, 4, 10);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = x };
        var r = Quantize(m, new QuantizationOptions { Mode = QuantMode.Dynamic, PerChannel = perChannel }, null);
        Assert.Contains("gemm", r.QuantizedNodes);
        Assert.DoesNotContain(r.Model.Graph.Node, n => n.OpType == "Gemm");
        Assert.DoesNotContain(r.Model.Graph.Initializer, i => i.Name == "gemm.weight");
        var mmi = Node(r.Model, "MatMulInteger");
        Assert.Equal("DynamicQuantizeLinear", Producer(r.Model, mmi.Input[0])!.OpType);
        // The stored weight is B transposed: K x N = 10 x 5, int8, one scale per output column when per channel.
        string suffix = perChannel ? "_axis1" : "";
        var wq = Initializer(r.Model, $"gemm.weight/transposed/quantized{suffix}");
        Assert.Equal(mmi.Input[1], wq.Name);
        Assert.Equal(new long[] { 10, 5 }, wq.Dims);
        Assert.Equal((int)DataType.Int8, wq.DataType);
        var ws = TensorProtos.ToFloats(Initializer(r.Model, $"gemm.weight/transposed/scale{suffix}"));
        Assert.Equal(perChannel ? 5 : 1, ws.Length);
        // The integers are B's columns: wq[k, j] * s_j is within half a step of B[j, k].
        var w = TensorProtos.ToFloats(Initializer(m, "gemm.weight"));
        var wi = IntegerValues(wq);
        for (int k = 0; k < 10; k++)
            for (int j = 0; j < 5; j++)
            {
                float s = ws[perChannel ? j : 0];
                Assert.True(Math.Abs(wi[k * 5 + j] * s - w[j * 10 + k]) <= s / 2 + 1e-7, $"weight [{j},{k}]");
            }

        var y = Run(m, feed)["Y"];
        var yq = Run(r.Model, feed)["Y"];
        var (lo, hi) = QuantMath.MinMax(x.Data);
        double sx = (Math.Max(hi, 0) - Math.Min(lo, 0)) / 255.0; // DynamicQuantizeLinear's step for this input
        double maxX = x.Data.Max(MathF.Abs);
        AssertWithin(y, yq, i =>
        {
            int j = i % 5;
            double sw = ws[perChannel ? j : 0], maxW = w.Skip(j * 10).Take(10).Max(MathF.Abs);
            return 10 * (maxW * sx / 2 + maxX * sw / 2 + sx * sw / 4) + 1e-5;
        }, $"per-channel {perChannel}");
    }
}
