using FpQuant.Quantization.Calibration;
using FpQuant.Runtime;

namespace FpQuant.Quantization.Sensitivity;

/// <summary>What <see cref="AutoQuant.Search"/> may try and the fidelity it must keep.</summary>
public sealed record AutoQuantOptions
{
    /// <summary>Limits by metric key, e.g. { ["cosine"] = 0.99 }: keys that are higher-is-better ("sqnr" in dB,
    /// "cosine", "cosine_mean", "top1", "top5", and a metric's own) are floors, the others ceilings. Null: the
    /// metric's default budget, else sqnr = 30 dB.</summary>
    public IReadOnlyDictionary<string, double>? Budget { get; init; }

    /// <summary>The recipes to start from, by name; null tries every base that applies (static, static compute,
    /// dynamic per channel, hybrid).</summary>
    public IReadOnlyDictionary<string, QuantizationOptions>? Recipes { get; init; }

    /// <summary>Outlier-smoothing strengths tried on every recipe with integer MatMul/Gemm nodes, besides
    /// none and besides smoothing with its own alpha per layer (tried unless this list is empty: empty means no
    /// smoothing).</summary>
    public IReadOnlyList<double> SmoothingAlphas { get; init; } = [0.5, 0.65, 0.8];

    /// <summary>At most this many quantized models are built and evaluated.</summary>
    public int MaxTrials { get; init; } = 200;

    /// <summary>Alternating latency rounds for float and every candidate within the budget (medians).</summary>
    public int LatencyRounds { get; init; } = 7;

    /// <summary>When no recipe is within the budget and faster than float, still write the most faithful one.</summary>
    public bool BestEffort { get; init; }

    /// <summary>Held-out data the budget is checked on, never used to calibrate or search; null holds out the last
    /// quarter of the calibration batches instead (when there are at least two).</summary>
    public InputSource? Evaluation { get; init; }

    /// <summary>Calibration batches the search judges by.</summary>
    public int SearchBatches { get; init; } = 1;

    /// <summary>Fidelity in the model's own terms (its keys may be budget keys); null for the generic values
    /// only.</summary>
    public IFidelityMetric? Metric { get; init; }

    /// <summary>Where ONNX Runtime runs; null for the CPU.</summary>
    public ExecutionOptions? Execution { get; init; }
}

/// <summary>What <see cref="AutoQuant.Search"/> found.</summary>
/// <param name="Candidates">Every recipe tried, with its fidelity, integer node count and (when timed) latency.</param>
/// <param name="Chosen">The fastest candidate within the budget that beats float; null when none does.</param>
/// <param name="BestEffort">The most faithful candidate, written when none was chosen and
/// <see cref="AutoQuantOptions.BestEffort"/> asked for it; else null.</param>
/// <param name="FloatLatencySeconds">The float model's median seconds per batch, measured with the candidates.</param>
/// <param name="ModelPath">The quantized model written (with its sidecar), or null when none was.</param>
/// <param name="Sensitivity">The layer sensitivity, when no whole recipe held and a layer search ran; else
/// null.</param>
/// <param name="Log">One line per step of the search.</param>
/// <param name="Trials">Quantized models built and evaluated.</param>
/// <param name="Seconds">How long the search took.</param>
public sealed record AutoQuantSearchResult(
    IReadOnlyList<AutoQuantCandidate> Candidates,
    AutoQuantCandidate? Chosen,
    AutoQuantCandidate? BestEffort,
    double FloatLatencySeconds,
    string? ModelPath,
    SensitivityReport? Sensitivity,
    IReadOnlyList<string> Log,
    int Trials,
    double Seconds)
{
    /// <summary>Whether a recipe within the budget and faster than float was found.</summary>
    public bool Met => Chosen != null;
}
