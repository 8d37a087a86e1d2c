using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Tests.Support;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>
/// Gemm in weight-only mode (DequantizedWeightQuantizer): a transB weight is stored as int8 per output row (axis 0)
/// and read through DequantizeLinear; the bias and the product stay float. Only the weight is rounded, so output
/// [i, j] errs by at most sum_k |x[i, k]| s_j / 2.
/// </summary>
[Trait("Category", "Quick")]
public class WeightOnlyGemmHandlerTests
{
    [Fact]
    public void WeightOnlyGemm_TransBWeightPerRow_FloatBias_WithinTheWeightBound()
    {
        var m = TinyModels.Gemm();
        var x = TinyModels.Random(251, 2f, 4, 10);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = x };
        var r = Quantize(m, new QuantizationOptions { Mode = QuantMode.WeightOnly }, null);
        Assert.Contains("gemm", r.QuantizedNodes);
        var gemm = Node(r.Model, "Gemm");
        Assert.Equal("X", gemm.Input[0]);
        Assert.Equal("gemm.bias", gemm.Input[2]);
        Assert.Equal((int)DataType.Float, Initializer(r.Model, "gemm.bias").DataType);
        var dq = Producer(r.Model, gemm.Input[1])!;
        Assert.Equal("DequantizeLinear", dq.OpType);
        Assert.Equal(0, dq.Attribute.Single(a => a.Name == "axis").I);
        var wq = Initializer(r.Model, dq.Input[0]);
        Assert.Equal((int)DataType.Int8, wq.DataType);
        Assert.Equal(new long[] { 5, 10 }, wq.Dims);
        var ws = TensorProtos.ToFloats(Initializer(r.Model, dq.Input[1]));
        Assert.Equal(5, ws.Length);
        var y = Run(m, feed)["Y"];
        var yq = Run(r.Model, feed)["Y"];
        AssertWithin(y, yq,
            i => Enumerable.Range(0, 10).Sum(k => Math.Abs(x.Data[i / 5 * 10 + k])) * ws[i % 5] / 2 + 1e-5, "Y");
    }
}
