using FpQuant.Core;
using Onnx;

namespace FpQuant.Quantization.Calibration;

/// <summary>
/// One graph input of a model (initializers excluded): name, element type and dimensions, -1 where an axis is
/// dynamic (a dim_param or no value). What every data source reads to shape its batches.
/// </summary>
/// <param name="Name">The input's name in the graph.</param>
/// <param name="Element">The tensor element type the input takes.</param>
/// <param name="Dims">The dimensions, -1 where an axis is dynamic.</param>
/// <param name="DimNames">The symbolic name of each axis (its dim_param), "" where it has none.</param>
public sealed record ModelInput(string Name, InputElementType Element, long[] Dims, string[] DimNames)
{
    /// <summary>The number of axes.</summary>
    public int Rank => Dims.Length;

    /// <summary>The fixed batch size (axis 0) when the model fixes it, e.g. 1 for many exported image models.</summary>
    public long? FixedBatch => Dims.Length > 0 && Dims[0] > 0 ? Dims[0] : null;

    /// <summary>Integer or bool: fed whole numbers (token ids, masks, indices).</summary>
    public bool IsInteger => !Element.IsFloat();

    /// <summary>The element type's short name, e.g. "float32" or "int64".</summary>
    public string TypeName => Element.Name();

    /// <summary>E.g. "int64 [batch x sequence]" or "float32 [1 x 3 x 224 x 224]".</summary>
    public string Describe() =>
        $"{TypeName} [{string.Join(" x ", Dims.Select((d, i) => d > 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : DimNames[i].Length > 0 ? DimNames[i] : "?"))}]";

    /// <summary>A tensor of this input's element type from whole numbers (token ids, masks).</summary>
    /// <param name="shape">The tensor's shape.</param>
    /// <param name="values">One value per element, row-major.</param>
    /// <returns>The tensor, converted to <see cref="Element"/>.</returns>
    public InputTensor FromIntegers(int[] shape, long[] values) => Element switch
    {
        InputElementType.Int64 => new InputTensor(shape, values),
        InputElementType.Int32 => new InputTensor(shape, values.Select(v => checked((int)v)).ToArray()),
        InputElementType.Float => new InputTensor(shape, values.Select(v => (float)v).ToArray()),
        var t => new InputTensor(shape, t, ConvertIntegers(values, t)),
    };

    private static Array ConvertIntegers(long[] values, InputElementType t)
    {
        var a = Array.CreateInstance(t.ArrayElement(), values.Length);
        for (int i = 0; i < values.Length; i++)
            a.SetValue(t switch
            {
                InputElementType.Bool => values[i] != 0,
                InputElementType.Float16 => (Half)values[i],
                InputElementType.BFloat16 => InputElementTypes.ToBFloat16(values[i]),
                InputElementType.Double => (double)values[i],
                _ => Convert.ChangeType(values[i], t.ArrayElement(), System.Globalization.CultureInfo.InvariantCulture),
            }, i);
        return a;
    }

    internal static IReadOnlyList<ModelInput> Of(ModelProto model, string source)
    {
        var init = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        var list = new List<ModelInput>();
        foreach (var i in model.Graph.Input.Where(i => !init.Contains(i.Name)))
        {
            var tt = i.Type?.TensorType
                ?? throw new FpQuantException(
                    $"{source}: input '{i.Name}' is not a tensor; fpquant feeds tensor inputs only");
            var element = ElementOf((TensorProto.Types.DataType)tt.ElemType)
                ?? throw new FpQuantException($"{source}: input '{i.Name}' is " +
                    $"{(TensorProto.Types.DataType)tt.ElemType}; fpquant feeds numeric and bool inputs only");
            var dims = tt.Shape?.Dim
                ?? throw new FpQuantException(
                    $"{source}: input '{i.Name}' has no shape; fpquant needs at least its rank");
            list.Add(new ModelInput(i.Name, element,
                dims.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
                    && d.DimValue > 0 ? d.DimValue : -1).ToArray(),
                dims.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam
                    : "").ToArray()));
        }
        if (list.Count == 0) throw new FpQuantException($"{source}: the model has no inputs to feed");
        return list;
    }

    /// <summary>
    /// The tensor element type of an ONNX data type, or null for one fpquant does not feed (strings, complex).
    /// </summary>
    internal static InputElementType? ElementOf(TensorProto.Types.DataType t) =>
        // ONNX Runtime numbers its element types as ONNX's TensorProto.DataType does.
        Runtime.OrtElementTypes.From((Microsoft.ML.OnnxRuntime.Tensors.TensorElementType)(int)t);

    /// <summary>
    /// Samples per batch for these inputs: the model's fixed batch where it has one (a fixed batch of 1 is fed one
    /// sample at a time), else <paramref name="requested"/>.
    /// </summary>
    internal static int BatchSize(IReadOnlyList<ModelInput> inputs, int requested, string source)
    {
        if (requested <= 0) throw new FpQuantException($"the batch size must be positive, got {requested}");
        var fixedSizes = inputs.Where(i => i.FixedBatch != null).Select(i => i.FixedBatch!.Value).Distinct().ToList();
        if (fixedSizes.Count > 1)
            throw new FpQuantException($"{source}: the inputs fix different batch sizes " +
                $"({string.Join(", ", fixedSizes)}); fpquant cannot batch them together");
        return fixedSizes.Count == 1 ? (int)fixedSizes[0] : requested;
    }
}
