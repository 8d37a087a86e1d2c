using FpQuant.Core;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// Batches of model inputs, for calibration and for measuring fidelity: tensors keyed by input name, float32, int64
/// or int32 as the input needs, samples on axis 0.
/// Implementations: files a user has (npy, images, text, raw folders), batches in memory, and, above the quantizer,
/// FoundationPose's crops.
/// </summary>
internal abstract class InputSource
{
    public abstract string Description { get; }
    public abstract IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource);

    /// <summary>Refuses NaN or infinite calibration values, naming the input and batch.</summary>
    public static void CheckFinite(IReadOnlyDictionary<string, InputTensor> batch, string where)
    {
        foreach (var (name, t) in batch)
        {
            long i = t.FirstNonFinite();
            if (i >= 0)
                throw new FpQuantException($"calibration input '{name}' ({where}) holds {(double.IsNaN(t.ValueAt(i)) ? "NaN" : "an infinite value")} at element {i}; calibration data must be finite: fix or drop that input");
        }
    }
}
