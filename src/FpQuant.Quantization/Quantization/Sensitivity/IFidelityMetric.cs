using FpQuant.Core;
using FpQuant.Quantization.Calibration;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>A budget key a fidelity metric provides: its name in --budget, and which way is better.</summary>
/// <param name="Name">The key, e.g. "spearman".</param>
/// <param name="HigherIsBetter">Whether a budget limit on it is a floor (true) or a ceiling.</param>
/// <param name="Meaning">What it measures, for help text.</param>
public sealed record MetricKey(string Name, bool HigherIsBetter, string Meaning);

/// <summary>
/// Fidelity in a model's own terms, plugged in from above the quantizer (e.g. FoundationPose's ranking and pose
/// deviation). It adds named values to the generic ones (sqnr, cosine, top1, top5); each name may be a --budget key.
/// </summary>
public interface IFidelityMetric
{
    /// <summary>What the model is, for reports (e.g. "ScoreNetMultiPair").</summary>
    string ModelName { get; }

    /// <summary>The values <see cref="Measure"/> adds, by key.</summary>
    IReadOnlyList<MetricKey> Keys { get; }

    /// <summary>The budget this model is held to when the user gives none.</summary>
    IReadOnlyDictionary<string, double> DefaultBudget { get; }

    /// <summary>Adds this metric's values for one comparison of a quantized model against float.</summary>
    /// <param name="inputs">The batches the model ran on, as <see cref="InputSource"/> gives them.</param>
    /// <param name="reference">Float outputs per batch, in the model's output order.</param>
    /// <param name="test">The quantized model's outputs on the same batches.</param>
    /// <param name="into">Where to add the measured values, by key.</param>
    void Measure(IReadOnlyList<InputBatch> inputs,
        IReadOnlyList<List<(string Name, FloatTensor Value)>> reference,
        IReadOnlyList<List<(string Name, FloatTensor Value)>> test, IDictionary<string, double> into);
}
