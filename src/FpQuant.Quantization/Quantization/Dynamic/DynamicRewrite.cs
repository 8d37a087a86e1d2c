using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization.Dynamic;

/// <summary>The state of one dynamic rewrite: the shared rewrite context (weights, emitted nodes) and one
/// DynamicQuantizeLinear per activation, however many integer ops read it.</summary>
internal sealed class DynamicRewrite
{
    public RewriteContext Context { get; }
    public QuantizationOptions Options => Context.Options;
    public GraphIndex Index => Context.Index;
    private readonly Dictionary<string, QuantizedActivation> _activations = new(StringComparer.Ordinal);

    public DynamicRewrite(RewriteContext context) { Context = context; }

    /// <summary>The u8 form of an activation with its per-run scale and zero point, made once.</summary>
    public QuantizedActivation Activation(string x)
    {
        if (_activations.TryGetValue(x, out var r)) return r;
        r = new QuantizedActivation($"{x}/dyn_q", $"{x}/dyn_scale", $"{x}/dyn_zero_point");
        Context.Emit("DynamicQuantizeLinear", $"{x}/DynamicQuantizeLinear", new[] { x },
            new[] { r.Name, r.Scale, r.ZeroPoint });
        _activations[x] = r;
        return r;
    }

    /// <summary>int32 accumulator to float: Cast, then multiply by input scale x weight scale.</summary>
    public void Rescale(NodeProto node, string accumulator, string xScale, string wScale, string output)
    {
        string f = $"{node.Output[0]}/int32_as_float";
        Context.Emit("Cast", $"{node.Name}/cast", new[] { accumulator }, new[] { f },
            new (string, object)[] { ("to", (long)DataType.Float) });
        string s = $"{node.Output[0]}/rescale";
        Context.Emit("Mul", $"{node.Name}/scale_product", new[] { xScale, wScale }, new[] { s });
        Context.Emit("Mul", $"{node.Name}/rescale", new[] { f, s }, new[] { output });
    }
}
