using FpQuant.Core;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// Batches of model inputs, for calibration and for measuring fidelity: tensors keyed by input name, of the element
/// type each input needs, samples on axis 0. Make one with <c>FpQuant.Inputs.ModelInputs</c>, or derive from this class
/// and override <see cref="Description"/> and <see cref="ReadBatches"/> for data of your own.
/// </summary>
public abstract class InputSource
{
    /// <summary>What the data is, for messages and the sidecar of a quantized model (e.g. "npy:calib/").</summary>
    public abstract string Description { get; }

    /// <summary>
    /// The batches for a model with these inputs, read lazily (a source is read once per pass and may be read again).
    /// The extension point for a source of your own; the built-in sources read the model file themselves.
    /// </summary>
    /// <param name="inputs">The model's graph inputs (initializers excluded): names, element types and
    /// dimensions.</param>
    /// <param name="model">The model's file or name, for error messages.</param>
    /// <returns>Batches holding one tensor for every input in <paramref name="inputs"/>.</returns>
    protected virtual IEnumerable<InputBatch> ReadBatches(IReadOnlyList<ModelInput> inputs, string model) =>
        throw new NotSupportedException($"{GetType().Name} does not override {nameof(ReadBatches)}");

    /// <summary>The batches for <paramref name="model"/>; the built-in sources override this, a caller's source
    /// <see cref="ReadBatches"/>.</summary>
    internal virtual IEnumerable<Dictionary<string, InputTensor>> Batches(ModelProto model, string modelSource) =>
        ReadBatches(ModelInput.Of(model, modelSource), modelSource).Select(b => b.ToDictionary());

    /// <summary>Refuses NaN or infinite calibration values, naming the input and batch.</summary>
    internal static void CheckFinite(IReadOnlyDictionary<string, InputTensor> batch, string where)
    {
        foreach (var (name, t) in batch)
        {
            long i = t.FirstNonFinite();
            if (i >= 0)
                throw new FpQuantException($"calibration input '{name}' ({where}) holds " +
                    $"{(double.IsNaN(t.ValueAt(i)) ? "NaN" : "an infinite value")} at element {i}; calibration data " +
                    $"must be finite: fix or drop that input");
        }
    }
}
