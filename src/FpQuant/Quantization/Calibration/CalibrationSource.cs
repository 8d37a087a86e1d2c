using FpQuant.Core;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// Batches of model inputs, for calibration and for measuring fidelity. Inputs travel as float32 tensors keyed by
/// input name; integer inputs (token ids, masks) hold whole numbers and are converted when fed (see SessionRun).
/// Implementations: files a user has (npy, images, text, raw folders), batches in memory, and, above the quantizer,
/// FoundationPose's crops.
/// </summary>
public abstract class CalibrationSource
{
    public abstract string Description { get; }
    public abstract IEnumerable<Dictionary<string, FloatTensor>> Batches(ModelProto model, string modelSource);

    /// <summary>Refuses NaN or infinite calibration values, naming the input and batch.</summary>
    public static void CheckFinite(Dictionary<string, FloatTensor> batch, string where)
    {
        foreach (var (name, t) in batch)
            for (int i = 0; i < t.Data.Length; i++)
                if (!float.IsFinite(t.Data[i]))
                    throw new FpQuantException($"calibration input '{name}' ({where}) holds {(float.IsNaN(t.Data[i]) ? "NaN" : "an infinite value")} at element {i}; calibration data must be finite: fix or drop that input");
    }
}
