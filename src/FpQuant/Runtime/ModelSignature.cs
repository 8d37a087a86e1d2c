using FpQuant.Core;
using FpQuant.Networks;
using Onnx;

namespace FpQuant.Runtime;

/// <summary>
/// What a model file of these networks looks like from outside: which input is rendered and which observed,
/// the layout, and the outputs. Read from the file (ours or Isaac ROS's), never assumed from the name.
/// </summary>
public sealed record ModelSignature(NetworkKind Kind, ModelLayout Layout, string RenderedInput, string ObservedInput, string[] Outputs)
{
    public int[] InputShape(int batch) => Layout == ModelLayout.Nchw
        ? new[] { batch, NetworkNames.Channels, NetworkNames.CropSize, NetworkNames.CropSize }
        : new[] { batch, NetworkNames.CropSize, NetworkNames.CropSize, NetworkNames.Channels };

    public static ModelSignature Of(ModelProto model, string source)
    {
        var init = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name));
        var inputs = model.Graph.Input.Where(i => !init.Contains(i.Name)).ToList();
        if (inputs.Count != 2)
            throw new FpQuantException($"{source}: expected 2 inputs (rendered and observed crops), found {inputs.Count} ({string.Join(", ", inputs.Select(i => i.Name))}); is this a FoundationPose refine or score model?");
        ModelLayout? layout = null;
        foreach (var i in inputs)
        {
            var dims = i.Type?.TensorType?.Shape?.Dim;
            if (dims == null || dims.Count != 4)
                throw new FpQuantException($"{source}: input '{i.Name}' is not a rank-4 tensor");
            ModelLayout l = dims[1].DimValue == NetworkNames.Channels ? ModelLayout.Nchw
                : dims[3].DimValue == NetworkNames.Channels ? ModelLayout.Isaac
                : throw new FpQuantException($"{source}: input '{i.Name}' has no axis of 6 channels at position 1 (NCHW) or 3 (NHWC)");
            if (layout != null && layout != l) throw new FpQuantException($"{source}: inputs disagree on layout");
            layout = l;
        }
        // Isaac ROS names them input1 (rendered) and input2 (observed); ours A and B. Otherwise, graph order.
        string rendered = inputs[0].Name, observed = inputs[1].Name;
        foreach (var (r, o) in new[] { ("A", "B"), ("input1", "input2") })
            if (inputs.Any(i => i.Name == r) && inputs.Any(i => i.Name == o)) { rendered = r; observed = o; }
        var outputs = model.Graph.Output.Select(o => o.Name).ToArray();
        NetworkKind kind = outputs.Length switch
        {
            2 => NetworkKind.Refine,
            1 => NetworkKind.Score,
            _ => throw new FpQuantException($"{source}: expected 1 output (score) or 2 (trans, rot), found {outputs.Length}"),
        };
        return new ModelSignature(kind, layout!.Value, rendered, observed, outputs);
    }
}
