using FpQuant.Core;
using FpQuant.Runtime;
using Onnx;

namespace FpQuant.Networks;

/// <summary>
/// What a model file of these networks looks like from outside: which input is rendered and which observed,
/// the layout, and the outputs. Read from the file (ours or Isaac ROS's), never assumed from the name.
/// </summary>
internal sealed record ModelSignature(NetworkKind Kind, ModelLayout Layout, string RenderedInput, string ObservedInput,
    string[] Outputs)
{
    public int[] InputShape(int batch) => Layout == ModelLayout.Nchw
        ? new[] { batch, NetworkNames.Channels, NetworkNames.CropSize, NetworkNames.CropSize }
        : new[] { batch, NetworkNames.CropSize, NetworkNames.CropSize, NetworkNames.Channels };

    /// <summary>The model's inputs from NCHW rendered and observed crops, converted to its layout.</summary>
    public Dictionary<string, FloatTensor> Feeds(FloatTensor renderedNchw, FloatTensor observedNchw) => new()
    {
        [RenderedInput] = Layout == ModelLayout.Nchw ? renderedNchw : CropLayout.NchwToNhwc(renderedNchw),
        [ObservedInput] = Layout == ModelLayout.Nchw ? observedNchw : CropLayout.NchwToNhwc(observedNchw),
    };

    public static ModelSignature Of(ModelProto model, string source)
    {
        var init = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name));
        var inputs = model.Graph.Input.Where(i => !init.Contains(i.Name))
            .Select(i => (i.Name, i.Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray()))
            .ToList();
        return Of(inputs, model.Graph.Output.Select(o => o.Name).ToArray(), source);
    }

    /// <summary>From a created session: no second parse of the file, which for a 68 MB model costs more than the
    /// session itself.</summary>
    public static ModelSignature Of(ModelRunner runner, string source) =>
        Of(runner.InputNames.Select(n =>
            (n, (long[]?)runner.InputMetadata[n].Dimensions.Select(d => (long)d).ToArray())).ToList(),
            runner.OutputNames.ToArray(), source);

    /// <param name="inputs">Graph inputs in order, with their dimensions (null when the rank is unknown).</param>
    public static ModelSignature Of(IReadOnlyList<(string Name, long[]? Dims)> inputs, string[] outputs, string source)
    {
        if (inputs.Count != 2)
            throw new FpQuantException($"{source}: expected 2 inputs (rendered and observed crops), found " +
                $"{inputs.Count} ({string.Join(", ", inputs.Select(i => i.Name))}); is this a FoundationPose refine " +
                $"or score model?");
        ModelLayout? layout = null;
        foreach (var (name, dims) in inputs)
        {
            if (dims == null || dims.Length != 4)
                throw new FpQuantException($"{source}: input '{name}' is not a rank-4 tensor");
            ModelLayout l = dims[1] == NetworkNames.Channels ? ModelLayout.Nchw
                : dims[3] == NetworkNames.Channels ? ModelLayout.Isaac
                : throw new FpQuantException($"{source}: input '{name}' has no axis of 6 channels at position 1 " +
                    $"(NCHW) or 3 (NHWC)");
            if (layout != null && layout != l) throw new FpQuantException($"{source}: inputs disagree on layout");
            layout = l;
        }
        // Isaac ROS names them input1 (rendered) and input2 (observed); ours A and B. Otherwise, graph order.
        string rendered = inputs[0].Name, observed = inputs[1].Name;
        foreach (var (r, o) in new[] { ("A", "B"), ("input1", "input2") })
            if (inputs.Any(i => i.Name == r) && inputs.Any(i => i.Name == o)) { rendered = r; observed = o; }
        NetworkKind kind = outputs.Length switch
        {
            2 => NetworkKind.Refine,
            1 => NetworkKind.Score,
            _ => throw new FpQuantException($"{source}: expected 1 output (score) or 2 (trans, rot), found " +
                $"{outputs.Length}"),
        };
        return new ModelSignature(kind, layout!.Value, rendered, observed, outputs);
    }
}
