using System.Text.Json.Serialization;
using FpQuant.Core;

namespace FpQuant.Quantization;


/// <summary>Every knob of the quantizer. Presets are just named instances; a preset file is this as JSON.</summary>
public sealed record QuantizationOptions
{
    /// <summary>What the quantization does; ignored when <see cref="Modes"/> is non-empty.</summary>
    public QuantMode Mode { get; init; } = QuantMode.Static;
    /// <summary>How static int8 is written: QDQ pairs or integer operators.</summary>
    public QuantFormat Format { get; init; } = QuantFormat.Qdq;
    /// <summary>The integer type of weights.</summary>
    public QuantType WeightType { get; init; } = QuantType.S8;
    /// <summary>The integer type of activations.</summary>
    public QuantType ActivationType { get; init; } = QuantType.U8;
    /// <summary>One scale per output channel of a weight (Conv axis 0, MatMul B axis 1, Gemm by transB) rather
    /// than one per tensor.</summary>
    public bool PerChannel { get; init; } = true;
    /// <summary>Weights with zero point 0 (range symmetric about 0).</summary>
    public bool SymmetricWeights { get; init; } = true;
    /// <summary>Activations with a zero point in the middle of the type (range symmetric about 0).</summary>
    public bool SymmetricActivations { get; init; }
    /// <summary>7-bit weights (ONNX Runtime's reduce_range, for x64 without VNNI). Null means automatic: on exactly
    /// when the execution provider is this x64 CPU and it lacks VNNI (the resolved value is recorded in the
    /// sidecar).</summary>
    public bool? ReduceRange { get; init; }
    /// <summary>7-bit activations (PyTorch's reduce_range in its x86/fbgemm qconfig).</summary>
    public bool ReduceRangeActivations { get; init; }
    /// <summary>
    /// PyTorch's symmetric rule (s8 [-128,127], scale absmax/127.5) rather than ONNX Runtime's [-127,127].
    /// </summary>
    public bool TorchSymmetricRule { get; init; }

    /// <summary>
    /// Op types to quantize; null means the default set of the mode (its handler registry's op types).
    /// </summary>
    public IReadOnlyList<string>? OpTypes { get => _opTypes; init => _opTypes = value == null ? null : Frozen(value); }
    /// <summary>Node names or globs on the module path; when non-empty, only matching nodes are quantized.</summary>
    public IReadOnlyList<string> Include { get => _include; init => _include = Frozen(value); }
    /// <summary>Node names or globs whose nodes stay float (wins over Include).</summary>
    public IReadOnlyList<string> Exclude { get => _exclude; init => _exclude = Frozen(value); }
    /// <summary>Static: also quantize MatMuls whose both operands are computed (attention's Q K^T and P V). PyTorch's
    /// eager static quantization leaves them float; ONNX Runtime quantizes them.</summary>
    public bool ActivationMatMuls { get; init; } = true;
    /// <summary>Activation tensors (names or globs) kept float: no QuantizeLinear/DequantizeLinear pair on them. In
    /// QOperator form a node reading or writing one stays float; in QDQ form its readers read it in float, a
    /// Conv/MatMul/Gemm reader staying float (else ONNX Runtime quantizes the tensor itself). Dynamic nodes reading
    /// one stay float. Weights are not activation tensors.</summary>
    public IReadOnlyList<string> FloatTensors { get => _floatTensors; init => _floatTensors = Frozen(value); }

    /// <summary>How calibration turns statistics into ranges.</summary>
    public CalibrationMethod Calibration { get; init; } = CalibrationMethod.MinMax;
    /// <summary>The percentile of |x| for <see cref="CalibrationMethod.Percentile"/>, in (0, 100].</summary>
    public double Percentile { get; init; } = 99.999;
    /// <summary>Histogram bins for the percentile, entropy and L2 methods (at least 16).</summary>
    public int HistogramBins { get; init; } = 2048;
    /// <summary>Quantized bins the entropy method compares against (2 to <see cref="HistogramBins"/>).</summary>
    public int QuantizedBins { get; init; } = 128;
    /// <summary>
    /// Moving-average factor for MinMax across batches, or null for the plain min of minima / max of maxima.
    /// </summary>
    public double? MovingAverage { get; init; }

    /// <summary>Mixed modes: per node, the mode of the first rule that selects it (float when none does); when
    /// non-empty, these decide every node's mode and <see cref="Mode"/> and <see cref="OpTypes"/> do not.</summary>
    public IReadOnlyList<Mixed.ModeRule> Modes { get => _modes; init => _modes = value == null ? null!
        : Array.AsReadOnly(value.ToArray()); }

    /// <summary>Outlier smoothing before quantization (SmoothQuant's alpha, 0..1), or null for none.</summary>
    public double? SmoothingAlpha { get; init; }
    /// <summary>Outlier smoothing with its own alpha per smoothed activation: the one (0.30 to 0.90) whose int8 layer
    /// output is closest to float on the calibration data. Instead of <see cref="SmoothingAlpha"/>, not with it.
    /// </summary>
    public bool SmoothingPerLayer { get; init; }

    /// <summary>Whether outlier smoothing runs before quantizing.</summary>
    [JsonIgnore]
    internal bool Smooths => SmoothingAlpha != null || SmoothingPerLayer;

    /// <summary>FP16: ops kept in float32.</summary>
    public IReadOnlyList<string> Fp16BlockOps { get => _fp16Block; init => _fp16Block = Frozen(value); }
    /// <summary>
    /// FP16: keep float32 model inputs and outputs (casts at the edges) rather than make them float16.
    /// </summary>
    public bool Fp16KeepIoTypes { get; init; } = true;

    // Lists are copied into read-only collections: `with` copies of a preset share them, so none may change.
    private IReadOnlyList<string>? _opTypes;
    private IReadOnlyList<string> _include = Empty;
    private IReadOnlyList<string> _exclude = Empty;
    private IReadOnlyList<string> _floatTensors = Empty;
    private IReadOnlyList<string> _fp16Block = Empty;
    private IReadOnlyList<Mixed.ModeRule> _modes = Array.Empty<Mixed.ModeRule>();
    private static readonly IReadOnlyList<string> Empty = Array.AsReadOnly(Array.Empty<string>());
    private static IReadOnlyList<string> Frozen(IEnumerable<string>? values) => values == null ? Empty
        : Array.AsReadOnly(values.ToArray());

    /// <summary>The op types the mode quantizes when <see cref="OpTypes"/> is null: its handler registry's.</summary>
    internal static IReadOnlyList<string> DefaultOpTypes(QuantMode mode) => mode switch
    {
        QuantMode.Static => Handlers.OpQuantizers.Supported,
        QuantMode.Dynamic => Dynamic.DynamicOpQuantizers.Supported,
        QuantMode.WeightOnly => WeightOnly.WeightOnlyOpQuantizers.Supported,
        _ => Empty,
    };

    /// <summary>Whether quantizing with these options reads calibration data: static nodes need ranges, smoothing
    /// needs activation channels.</summary>
    [JsonIgnore]
    public bool NeedsCalibration => Mode == QuantMode.Static && Modes.Count == 0
        || Modes.Any(r => r.Mode == Mixed.NodeMode.Static) || Smooths;

    [JsonIgnore]
    internal IReadOnlySet<string> EffectiveOpTypes =>
        new HashSet<string>(OpTypes ?? DefaultOpTypes(Mode), StringComparer.Ordinal);

    /// <summary>Resolves automatic reduce-range: 7-bit weights exactly when integer kernels with full-range s8
    /// weights would saturate on this execution provider (an x64 CPU without VNNI) and 7-bit activations do not
    /// already prevent it.</summary>
    internal QuantizationOptions WithResolvedReduceRange(Runtime.ExecutionProviderKind provider) => this with
    {
        ReduceRange = ReduceRange
            ?? ((Mode is QuantMode.Static or QuantMode.Dynamic
                || Modes.Any(r => r.Mode is Mixed.NodeMode.Static or Mixed.NodeMode.Dynamic))
                    && WeightType == QuantType.S8
            && !ReduceRangeActivations && Runtime.CpuFeatures.NeedsReducedRangeWeights(provider)),
    };

    /// <summary>Refuses options out of range, naming the option.</summary>
    /// <exception cref="FpQuantException">An option is out of range or options contradict each other.</exception>
    public void Validate()
    {
        if (Percentile <= 0 || Percentile > 100)
            throw new FpQuantException($"Percentile must be in (0, 100], got {Percentile}");
        if (HistogramBins < 16) throw new FpQuantException($"HistogramBins must be at least 16, got {HistogramBins}");
        if (QuantizedBins < 2 || QuantizedBins > HistogramBins)
            throw new FpQuantException($"QuantizedBins must be between 2 and HistogramBins ({HistogramBins}), got " +
                $"{QuantizedBins}");
        if (MovingAverage is < 0 or > 1)
            throw new FpQuantException($"MovingAverage must be in [0, 1], got {MovingAverage}");
        if (SmoothingAlpha is double sa && !(sa >= 0 && sa <= 1))
            throw new FpQuantException($"SmoothingAlpha must be in [0, 1], got {sa}");
        if (SmoothingAlpha != null && SmoothingPerLayer)
            throw new FpQuantException("SmoothingAlpha and SmoothingPerLayer both given: give one alpha for every " +
                "layer or ask for one per layer, not both");
        if (Modes == null) throw new FpQuantException("\"modes\" is null; give a list of rules (it may be empty)");
        Mixed.MixedQuantizer.Validate(Modes);
        if ((Mode == QuantMode.Dynamic || Modes.Any(r => r.Mode == Mixed.NodeMode.Dynamic))
            && ActivationType != QuantType.U8)
            throw new FpQuantException("ActivationType must be U8 for dynamic quantization: DynamicQuantizeLinear " +
                "produces u8 activations");
    }

}
