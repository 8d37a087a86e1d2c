using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace FpQuant.Quantization.Fp16;

/// <summary>
/// The usual case: float inputs are read in float16 and, when the op produces floats, its outputs are float16 too
/// (an op computes in the type of its float operands). Inputs the ONNX type constraints fix to float32 (Resize's
/// roi and scales) keep float32.
/// </summary>
internal sealed class HalfPrecisionConverter : IFp16OpConverter
{
    private readonly HashSet<int> _float32Inputs;
    private readonly bool _producesFloat;

    /// <param name="float32Inputs">Input positions that must stay float32.</param>
    /// <param name="producesFloat">False for ops whose outputs are never float (Shape, comparisons, ...).</param>
    public HalfPrecisionConverter(IEnumerable<int>? float32Inputs = null, bool producesFloat = true)
    {
        _float32Inputs = (float32Inputs ?? Array.Empty<int>()).ToHashSet();
        _producesFloat = producesFloat;
    }

    public bool ProducesFloat => _producesFloat;

    public bool Convert(NodeProto node, Fp16Rewrite rw)
    {
        var n = node.Clone();
        bool half = false;
        for (int k = 0; k < n.Input.Count; k++)
        {
            if (!rw.IsFloat(n.Input[k])) continue;
            if (_float32Inputs.Contains(k)) n.Input[k] = rw.Float32(n.Input[k]);
            else { n.Input[k] = rw.Half(n.Input[k]); half = true; }
        }
        // An op typed by its 'dtype' attribute (RandomUniformLike, Bernoulli, EyeLike, ...) makes float32 whatever
        // it reads, as does an op that reads no float at all (RandomNormal, an int-to-float op): consumers cast.
        bool followsInputs = half && _producesFloat && !node.Attribute.Any(a => a.Name == "dtype");
        for (int k = 0; k < n.Output.Count; k++)
        {
            if (n.Output[k].Length == 0) continue;
            if (followsInputs && rw.WasFloat32(node.Output[k])) n.Output[k] = rw.DefineHalfOutput(node.Output[k]);
            else if (rw.Types.TypeOf(node.Output[k]) == (int)DataType.Float) rw.DefineFloat32Output(node.Output[k]);
        }
        rw.Nodes.Add(n);
        // Counted as converted only when it computes float16 values (Shape of a float16 tensor computes none).
        return followsInputs;
    }
}
