using FpQuant.Core;
using Microsoft.ML.OnnxRuntime;

namespace FpQuant.Runtime;

/// <summary>Sessions over models built in memory (calibration copies, sensitivity variants), with the same error
/// wrapping a model file gets in <see cref="ModelRunner"/>: a model ONNX Runtime refuses becomes one readable
/// line.</summary>
internal static class SessionFactory
{
    /// <param name="what">What the model is, for the message (e.g. "the calibration copy of model.onnx").</param>
    public static InferenceSession FromBytes(byte[] model, RuntimeSettings settings, string what)
    {
        using var options = settings.CreateSessionOptions();
        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new FpQuantException($"ONNX Runtime cannot load {what}: {e.Message}", e);
        }
    }
}
