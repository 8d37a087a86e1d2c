using FpQuant.Core;
using FpQuant.Onnx;
using FpQuant.Quantization;
using FpQuant.Tests.Support;
using static FpQuant.Tests.Quantization.Ops.HandlerTesting;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Tests.Quantization.Ops;

/// <summary>
/// MatMul in weight-only mode (DequantizedWeightQuantizer): the constant weight is stored as int8, per output column
/// (axis 1), and read through DequantizeLinear; the product stays float. Only the weight is rounded, so output
/// [i, j] errs by at most sum_k |x[i, k]| s_j / 2. A MatMul without a constant weight is left alone.
/// </summary>
[Trait("Category", "Quick")]
public class WeightOnlyMatMulHandlerTests
{
    [Fact]
    public void WeightOnlyMatMul_FloatProductOfAnInt8Weight_WithinTheWeightBound()
    {
        var m = TinyModels.MatMulWeight();
        var x = TinyModels.Random(241, 3f, 5, 16);
        var feed = new Dictionary<string, FloatTensor> { ["X"] = x };
        var r = Quantize(m, new QuantizationOptions { Mode = QuantMode.WeightOnly }, null);
        Assert.Contains("fc", r.QuantizedNodes);
        var mm = Node(r.Model, "MatMul");
        Assert.Equal("X", mm.Input[0]);
        var dq = Producer(r.Model, mm.Input[1])!;
        Assert.Equal("DequantizeLinear", dq.OpType);
        Assert.Equal(1, dq.Attribute.Single(a => a.Name == "axis").I);
        Assert.Equal((int)DataType.Int8, Initializer(r.Model, dq.Input[0]).DataType);
        Assert.DoesNotContain(r.Model.Graph.Initializer, i => i.Name == "fc.weight");
        Assert.DoesNotContain(r.Model.Graph.Node, n => n.OpType is "QuantizeLinear" or "DynamicQuantizeLinear");
        var ws = TensorProtos.ToFloats(Initializer(r.Model, dq.Input[1]));
        Assert.Equal(8, ws.Length);
        var y = Run(m, feed)["Y"];
        var yq = Run(r.Model, feed)["Y"];
        AssertWithin(y, yq,
            i => Enumerable.Range(0, 16).Sum(k => Math.Abs(x.Data[i / 8 * 16 + k])) * ws[i % 8] / 2 + 1e-5, "Y");
    }

    [Fact]
    public void WeightOnlyMatMul_OfTwoActivations_IsLeftFloat()
    {
        var m = TinyModels.MatMulActivationsSoftmax();
        var r = Quantize(m, new QuantizationOptions { Mode = QuantMode.WeightOnly, OpTypes = ["MatMul"] }, null);
        Assert.DoesNotContain("qk", r.QuantizedNodes);
        var mm = Node(r.Model, "MatMul");
        Assert.Equal(new[] { "A", "B" }, mm.Input);
        Assert.DoesNotContain(r.Model.Graph.Node, n => n.OpType == "DequantizeLinear");
    }
}
